#pragma once
/// @file
/// `function.yaml`: a compatible subset of nuclio's function spec.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/json.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// `spec.build`: where a C++ function's sources are.
struct BuildSpec {
  /// A folder with the function's own CMake project (or sources to compile).
  std::filesystem::path path;
  /// Source files to compile into the function, when no CMake project is given.
  std::vector<std::filesystem::path> sources;
};

/// One entry of `spec.dataBindings`.
struct BindingSpec {
  std::string name{};
  std::string kind{};  ///< "memory", "file", "redis", ...
  std::string path{};  ///< for file-backed kinds; relative to `base_dir`
  std::string url{};   ///< for service-backed kinds ("redis://127.0.0.1:6379/0"); never credentials
  Json attributes = Json::object();  ///< the kind's own settings
  /// The credential it needs, by reference only: `{env: NAME}` or `{file: path}`
  /// (null: none); resolved when the binding opens, with `secret_value`.
  Json secret{};
  std::filesystem::path base_dir{};
  std::string origin{};  ///< where it was declared, for messages ("function.yaml:12")
  /// For a `memory` binding that stands in for another kind (the emulator's mock): the
  /// interfaces that kind gives ("kv, publish"); empty: all of memory's.
  std::string interfaces{};
};

/// A credential the configuration names, never holds: `{env: NAME}` (an
/// environment variable) or `{file: path}` (its contents, a final newline
/// dropped); empty for null. Plain text is refused: the error says where
/// secrets go. `where` names it in errors, which never contain the secret.
[[nodiscard]] Result<std::string> secret_value(const Json& value, const std::string& where) noexcept;

/// One log sink to make (`spec.logger.sinks`, `--log-sink`): its kind and its kind's attributes.
struct LogSinkSpec {
  std::string kind;                  ///< "console", "file", ...
  Json attributes = Json::object();  ///< each kind reads its own
  std::string origin = "log sink";   ///< names it in errors ("function.yaml:9: spec.logger.sinks[0]")
  std::filesystem::path base_dir{};  ///< what a relative `path` is relative to
};

/// `spec.logger`: the function's log level and where its records go.
struct LoggerSpec {
  std::optional<std::string> level;  ///< debug, info, warn or error (checked); none: info
  std::vector<LogSinkSpec> sinks;    ///< none: the console, as JSON lines
};

/// One entry of `spec.triggers`.
struct TriggerSpec {
  std::string name;
  std::string kind;  ///< "http", ...
  int num_workers = 1;
  Json attributes = Json::object();
  std::string url{};  ///< where its broker is (nuclio's `url`: nats://…, redis://…); may be empty
};

/// A function's configuration.
struct FunctionConfig {
  std::filesystem::path file;  ///< the function.yaml, absolute
  std::filesystem::path dir;   ///< its folder, absolute
  std::string name;
  std::string version = "0";
  std::string runtime = "cpp";  ///< "cpp" or "python"
  std::string handler;          ///< "module:function"
  std::string module;           ///< the part before ':' (the library `<module>.so`, or the Python module)
  std::string function;         ///< the part after ':' (the NIMBUS_FUNCTION name, or the Python function)
  std::optional<BuildSpec> build;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<BindingSpec> bindings;
  std::vector<TriggerSpec> triggers;
  LoggerSpec logger;
  std::chrono::milliseconds event_timeout{30000};

  /// The library entry the host calls: `function` for C++, and for Python
  /// the embedded runtime's entry, which runs `handler` (named to it through
  /// `kPythonHandlerEnv` and `kFunctionDirEnv` in `env`).
  [[nodiscard]] std::string entry_name() const { return runtime == "python" ? "python" : function; }
};

/// For Python functions: the environment variables that tell the embedded
/// runtime which handler to load ("module:function") and from which folder.
inline constexpr const char* kPythonHandlerEnv = "NIMBUS_PYTHON_HANDLER";
inline constexpr const char* kFunctionDirEnv = "NIMBUS_FUNCTION_DIR";

/// Reads and checks a function.yaml. Every error names the file, and the line
/// and field where known: `function.yaml:7: spec.handler: ...`.
Result<FunctionConfig> load_function_config(const std::filesystem::path& file) noexcept;

/// Parses function.yaml text; `file` is used for messages and relative paths.
Result<FunctionConfig> parse_function_config(std::string_view yaml,
                                             const std::filesystem::path& file) noexcept;

/// The configuration of a Python handler given without a function.yaml:
/// `module_file` (e.g. `main.py`) and `function` (e.g. `handler`); its
/// folder is the function's folder. Fails when the file is missing.
Result<FunctionConfig> python_function_config(const std::filesystem::path& module_file,
                                              const std::string& function) noexcept;

/// Parses a Go-style duration ("500ms", "30s", "1m30s", "2h").
Result<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept;

}  // namespace nimbus::engine
