#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "cli.hpp"
#include "nimbus/engine/serve_plan.hpp"
#include "nimbus/format/text.hpp"
#include "nimbus/format/time_text.hpp"
#include "sdk_package.hpp"

namespace nimbus::cli {
namespace {

namespace fs = std::filesystem;

// True for an environment variable whose value is a secret by its name.
bool secret_name(std::string name) {
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  constexpr std::array<std::string_view, 6> kWords = {"SECRET", "TOKEN", "PASSWORD",
                                                      "PASSWD", "KEY",   "CREDENTIAL"};
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view word) { return name.find(word) != std::string::npos; });
}

}  // namespace

int fail(const std::string& message) {
  std::cerr << "nimbus: " << message << '\n';
  return kExitError;
}

// Parses a command's arguments. Returns an exit status when the command is
// already done (--help printed, or a parse error reported).
std::optional<int> parse_command(cxxopts::Options& opts, int argc, char** argv, const std::string& command,
                                 cxxopts::ParseResult& args, const std::vector<std::string>& positional) {
  opts.parse_positional(positional);
  try {
    args = opts.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return fail(command + ": " + e.what());
  }
  if (args.count("help") != 0U) {
    std::cout << opts.help();
    return 0;
  }
  return std::nullopt;
}

// How `nimbus` builds functions: against the SDK package it finds, saying so on stderr.
BuildOptions build_options(bool force, bool optimized) {
  BuildOptions options;
  options.package_dir = sdk_package_dir();
  options.force = force;
  options.optimized = optimized;
  options.progress = &std::cerr;
  return options;
}

Result<Target> resolve_target(const std::string& target, const std::string& handler, bool rebuild,
                              bool optimized) {
  fs::path path(target);
  std::error_code ec;
  if (path.extension() == ".so" || (path.string().find(".so.") != std::string::npos)) {
    if (!fs::exists(path, ec)) return Error{target + ": no such file"};
    engine::FunctionConfig c;
    c.file = fs::absolute(path);
    c.dir = c.file.parent_path();
    c.module = path.stem().string();
    c.function = handler;
    c.name = handler.empty() ? c.module : handler;
    c.handler = c.module + ":" + handler;
    return Target{std::move(c), path, false};
  }
  // A Python module without a function.yaml: main.py:handler (or main.py --handler handler).
  Result<engine::FunctionConfig> config = Error{};
  if (auto colon = target.rfind(':');
      colon != std::string::npos && target.substr(0, colon).ends_with(".py")) {
    config = engine::python_function_config(target.substr(0, colon), target.substr(colon + 1));
  } else if (path.extension() == ".py") {
    config = engine::python_function_config(path, handler);
  } else {
    config = engine::load_function_config(path);
    if (config && !handler.empty()) config->function = handler;
  }
  if (!config) return config.error();
  if (config->runtime == "python") {  // not built: the embedded runtime loads the module
    fs::path host = python_host_library();
    if (host.empty() || !fs::exists(host, ec)) {
      return Error{config->file.string() + ": spec.runtime: python: this nimbus has no Python runtime" +
                   (host.empty() ? std::string() : " (" + host.string() + " is missing)")};
    }
    const bool from_yaml = config->file.extension() != ".py";
    return Target{std::move(*config), host, from_yaml};
  }
  auto built = build_function(*config, build_options(rebuild, optimized));
  if (!built) return built.error();
  return Target{std::move(*config), built->library, true};
}

void set_worker_function(const Target& target, engine::WorkerOptions& worker) {
  worker.library = target.library;
  worker.function = target.config.entry_name();
  if (target.has_config_file) {
    worker.config = target.config.file;
  } else {
    // No function.yaml for the workers to read (main.py:handler): they inherit its environment.
    for (const auto& [k, v] : target.config.env) setenv(k.c_str(), v.c_str(), 1);
  }
}

Result<TriggerList> event_source(const engine::FunctionConfig& config,
                                 const std::vector<std::string>& inputs) {
  // The events say they came through the function's HTTP trigger, as a request to it would.
  Json as{{"kind", "http"}, {"name", "http"}};
  for (const auto& t : config.triggers) {
    if (t.kind == "http") {
      as["name"] = t.name;
      break;
    }
  }
  engine::TriggerRegistry registry;
  engine::register_builtin_triggers(registry);
  engine::TriggerEnvironment environment;
  environment.standard_input = &std::cin;
  auto trigger =
      registry.make({"events", "file", 1, Json{{"paths", inputs}, {"eventTrigger", as}}}, environment);
  if (!trigger) return trigger.error();
  TriggerList out;
  out.push_back(std::move(*trigger));
  return out;
}

Result<TriggerList> function_triggers(const engine::FunctionConfig& config,
                                      const std::vector<std::string>& names, const std::string& host,
                                      std::optional<int> port) {
  engine::ServeOverrides overrides;
  overrides.port = port;
  auto plan = engine::plan_triggers(config, overrides, {});  // the same triggers serve would run
  if (!plan) return plan.error();
  std::vector<std::string> known;
  for (const auto& served : *plan) known.push_back(served.spec.name);
  for (const auto& name : names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Error{"run: --trigger " + name + ": the function has no trigger '" + name +
                   "' (its triggers: " + format::join(known) + ")"};
    }
  }
  engine::TriggerRegistry registry;
  engine::register_builtin_triggers(registry);
  engine::TriggerEnvironment environment;
  environment.host = host;
  environment.standard_input = &std::cin;
  TriggerList out;
  for (const auto& served : *plan) {
    if (!names.empty() && std::find(names.begin(), names.end(), served.spec.name) == names.end()) continue;
    auto trigger = registry.make(served.spec, environment);
    if (!trigger) return Error{config.file.string() + ": " + trigger.error().message};
    out.push_back(std::move(*trigger));
  }
  return out;
}

Result<int> parse_int(const std::string& text, const std::string& what, long long low, long long high) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < low || v > high) {
    return Error{what + ": expected a whole number from " + std::to_string(low) + " to " +
                 std::to_string(high) + ", got '" + text + "'"};
  }
  return static_cast<int>(v);
}

bool color_for(const cxxopts::ParseResult& args) {
  const std::string color = args["color"].as<std::string>();
  return color == "always" ||
         (color == "auto" && isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr);
}

void add_record_options(cxxopts::Options& opts) {
  opts.add_options()("record", "write every invocation to this tape (docs/tape-format.md)",
                     cxxopts::value<std::string>())(
      "record-sample", "the fraction of invocations recorded, e.g. 0.1", cxxopts::value<std::string>())(
      "redact-header",
      "also redact this header on the tape (repeatable; Authorization, Cookie, ... always are)",
      cxxopts::value<std::vector<std::string>>());
}

Result<std::optional<Recording>> open_recording(const cxxopts::ParseResult& args,
                                                const engine::FunctionConfig& config,
                                                const std::string& source, LogLevel level) {
  if (args.count("record") == 0U) {
    if (args.count("record-sample") != 0U) return Error{"--record-sample needs --record"};
    if (args.count("redact-header") != 0U) return Error{"--redact-header needs --record"};
    return std::optional<Recording>();
  }
  double sample = 1.0;
  if (args.count("record-sample") != 0U) {
    const std::string text = args["record-sample"].as<std::string>();
    char* end = nullptr;
    sample = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(sample > 0.0 && sample <= 1.0)) {
      return Error{"--record-sample " + text + ": expected a fraction above 0 and at most 1, e.g. 0.1"};
    }
  }
  recorder::Redaction redaction;
  if (args.count("redact-header") != 0U) {
    for (const auto& h : args["redact-header"].as<std::vector<std::string>>()) redaction.headers.push_back(h);
  }
  for (const auto& [name, value] : config.env) {
    if (secret_name(name)) redaction.secrets.push_back(value);
  }
  recorder::TapeHeader header;
  header.function_name = config.name;
  header.function_version = config.version;
  header.created = format::rfc3339(std::chrono::system_clock::now());
  header.source = source;
  header.log_level = to_string(level);
  auto tape = recorder::TapeWriter::open(
      args["record"].as<std::string>(), header, std::move(redaction),
      source == "engine" ? recorder::TapeWriter::Writes::kBackground : recorder::TapeWriter::Writes::kCaller);
  if (!tape) return tape.error();
  return std::optional<Recording>(Recording{std::move(*tape), sample});
}

}  // namespace nimbus::cli
