#pragma once
/// @file
/// Log sinks: where the processor writes the function's log records (and its
/// own lines), as they arrive from the workers. Created by kind through an
/// explicit registry: a new kind is one file under `engine/src/logging/` and
/// one line in `register_builtin_log_sinks`.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/engine/kind_registry.hpp"
#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// A function's log record as it arrives from a worker. The views are valid
/// during the call only; the fields stay JSON text until someone needs them.
struct LogEntry {
  int worker = 0;  ///< -1 for a record of the processor's own
  LogLevel level = LogLevel::kInfo;
  std::chrono::system_clock::time_point time;  ///< when the function logged it
  std::string_view message;
  std::string_view fields_json;  ///< a JSON object, or empty for none
  std::string_view logger;       ///< the child logger's name; empty for the root
  /// Copies it into a `LogRecord`, parsing the fields.
  [[nodiscard]] LogRecord to_record() const;
};

/// Receives log entries on the processor's loop thread; buffers them, and
/// writes them out in `flush`, once per loop iteration. A sink whose
/// destination is gone drops entries (and may count them), never blocks the loop.
class LogEntrySink {
 public:
  LogEntrySink() = default;
  LogEntrySink(const LogEntrySink&) = delete;
  LogEntrySink& operator=(const LogEntrySink&) = delete;
  virtual ~LogEntrySink() = default;
  virtual void write(const LogEntry& entry) = 0;
  virtual void flush() noexcept = 0;
};

/// One sink to make: its kind and its kind's attributes.
struct LogSinkSpec {
  std::string kind;                  ///< "console", ...
  Json attributes = Json::object();  ///< each kind reads its own
  std::string origin = "log sink";   ///< names it in errors
};

/// Makes a log sink from its spec.
using LogSinkFactory = std::function<Result<std::unique_ptr<LogEntrySink>>(const LogSinkSpec&)>;

/// Makes log sinks of the kinds registered with it.
class LogSinkRegistry : public KindRegistry<LogSinkFactory> {
 public:
  using Factory = LogSinkFactory;
  /// Makes the sink `spec` describes; an unknown kind is an error naming the kinds there are.
  [[nodiscard]] Result<std::unique_ptr<LogEntrySink>> make(const LogSinkSpec& spec) const noexcept;
};

/// Registers `console`: one JSON object per line,
/// `{"time","level","message","fields","logger","worker"}`, on standard error
/// (`attributes: {stream: stdout}` for standard output).
void register_builtin_log_sinks(LogSinkRegistry& registry);

}  // namespace nimbus::engine
