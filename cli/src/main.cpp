// nimbus: the one command.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <csignal>
#include <cstdio>
#include <cstdlib>
// Repeated flags are repeated, never split on commas (a regex or a value may hold one).
#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nimbus/emulator/emulator.hpp"
#include "nimbus/engine/binding_registry.hpp"
#include "nimbus/engine/event_file.hpp"
#include "nimbus/engine/function_builder.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/processor.hpp"
#include "nimbus/function.hpp"
#include "nimbus/recorder/recorder.hpp"
#include "nimbus/replay/replayer.hpp"
#include "nimbus/version.hpp"
#include "sdk_package.hpp"

namespace {

namespace fs = std::filesystem;
using nimbus::Error;
using nimbus::Result;
using nimbus::engine::FunctionConfig;

constexpr int kExitFailed = 1;  // some event failed
constexpr int kExitError = 2;   // nothing could be run: bad arguments, config or library

constexpr const char* kUsage = R"(usage: nimbus <command> [options]

commands:
  run <function.yaml | lib.so>   run a function in the emulator against event files
  serve <function.yaml | lib.so> serve a function over HTTP with the shared-memory engine
  replay <tape> --function F     replay a tape against a function and show what changed
  diff <a.ndjson> <b.ndjson>     compare two tapes
  build <function.yaml>          build a C++ function's shared library into .nimbus/
  version                        print the version

'nimbus <command> --help' describes a command's options.
)";

int fail(const std::string& message) {
  std::cerr << "nimbus: " << message << '\n';
  return kExitError;
}

// Parses a command's arguments. Returns an exit status when the command is
// already done (--help printed, or a parse error reported).
std::optional<int> parse_command(cxxopts::Options& opts, int argc, char** argv, const std::string& command,
                                 cxxopts::ParseResult& args) {
  opts.parse_positional({"target"});
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
nimbus::engine::BuildOptions build_options(bool force, bool optimized = false) {
  nimbus::engine::BuildOptions options;
  options.package_dir = nimbus::cli::sdk_package_dir();
  options.force = force;
  options.optimized = optimized;
  options.progress = &std::cerr;
  return options;
}

// The function to run: its configuration and its built library.
struct Target {
  FunctionConfig config;
  fs::path library;
  bool has_config_file = false;  // false when given a .so: the config is made up
};

Result<Target> resolve_target(const std::string& target, const std::string& handler, bool rebuild,
                              bool optimized = false) {
  fs::path path(target);
  std::error_code ec;
  if (path.extension() == ".so" || (path.string().find(".so.") != std::string::npos)) {
    if (!fs::exists(path, ec)) return Error{target + ": no such file"};
    FunctionConfig c;
    c.file = fs::absolute(path);
    c.dir = c.file.parent_path();
    c.module = path.stem().string();
    c.function = handler;
    c.name = handler.empty() ? c.module : handler;
    c.handler = c.module + ":" + handler;
    return Target{std::move(c), path, false};
  }
  auto config = nimbus::engine::load_function_config(path);
  if (!config) return config.error();
  if (!handler.empty()) config->function = handler;
  auto built = nimbus::engine::build_function(*config, build_options(rebuild, optimized));
  if (!built) return built.error();
  return Target{std::move(*config), built->library, true};
}

nimbus::engine::EventDefaults event_defaults(const FunctionConfig& config) {
  nimbus::engine::EventDefaults d;
  for (const auto& t : config.triggers) {
    if (t.kind == "http") {
      d.trigger_name = t.name;
      break;
    }
  }
  return d;
}

// True for an environment variable whose value is a secret by its name.
bool secret_name(std::string name) {
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  constexpr std::array<std::string_view, 6> kWords = {"SECRET", "TOKEN", "PASSWORD",
                                                      "PASSWD", "KEY",   "CREDENTIAL"};
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view word) { return name.find(word) != std::string::npos; });
}

// The recorder for --record, or null without it.
Result<std::unique_ptr<nimbus::recorder::Recorder>> make_recorder(const cxxopts::ParseResult& args,
                                                                  const FunctionConfig& config,
                                                                  const std::string& source) {
  if (args.count("record") == 0U) {
    if (args.count("record-sample") != 0U) return Error{"--record-sample needs --record"};
    return std::unique_ptr<nimbus::recorder::Recorder>();
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
  nimbus::recorder::Redaction redaction;
  if (args.count("redact-header") != 0U) {
    for (const auto& h : args["redact-header"].as<std::vector<std::string>>()) redaction.headers.push_back(h);
  }
  for (const auto& [name, value] : config.env) {
    if (secret_name(name)) redaction.secrets.push_back(value);
  }
  nimbus::recorder::TapeHeader header;
  header.function_name = config.name;
  header.function_version = config.version;
  header.created = nimbus::emulator::format_time(std::chrono::system_clock::now());
  header.source = source;
  auto tape =
      nimbus::recorder::TapeWriter::open(args["record"].as<std::string>(), header, std::move(redaction));
  if (!tape) return tape.error();
  return std::make_unique<nimbus::recorder::Recorder>(std::move(*tape), sample);
}

int run_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus run", "Run a function in the emulator against event files.");
  opts.custom_help("<function.yaml | lib.so> [options]");
  opts.positional_help("");
  opts.add_options()("target", "function.yaml or a function's .so", cxxopts::value<std::string>())(
      "e,event", "event file, directory, .ndjson file, or - for stdin (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "bind", "wire a binding: name=memory or name=file:fixture.json (repeatable)",
      cxxopts::value<std::vector<std::string>>())("env", "set an environment variable K=V (repeatable)",
                                                  cxxopts::value<std::vector<std::string>>())(
      "json", "print one JSON object per line")(
      "log-level", "lowest level of function logs shown: debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("debug"))(
      "handler", "the function to run in a library that exports several", cxxopts::value<std::string>())(
      "color", "colour output: auto, always, never", cxxopts::value<std::string>()->default_value("auto"))(
      "rebuild", "build the function even if it looks up to date")(
      "record", "write every invocation to this tape (docs/tape-format.md)", cxxopts::value<std::string>())(
      "record-sample", "the fraction of invocations recorded, e.g. 0.1", cxxopts::value<std::string>())(
      "redact-header",
      "also redact this header on the tape (repeatable; Authorization, Cookie, ... always are)",
      cxxopts::value<std::vector<std::string>>())("h,help", "show this help");
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "run", args)) return *done;
  if (args.count("target") == 0U) return fail("run: name a function.yaml or a .so (see 'nimbus run --help')");

  auto level = nimbus::parse_log_level(args["log-level"].as<std::string>());
  if (!level)
    return fail("run: --log-level " + args["log-level"].as<std::string>() +
                ": expected debug, info, warn or error");
  std::string color = args["color"].as<std::string>();
  if (color != "auto" && color != "always" && color != "never")
    return fail("run: --color " + color + ": expected auto, always or never");

  nimbus::emulator::EmulatorOptions options;
  options.log_level = *level;
  if (args.count("bind") != 0U) {
    for (const auto& flag : args["bind"].as<std::vector<std::string>>()) {
      auto spec = nimbus::engine::parse_binding_flag(flag);
      if (!spec) return fail(spec.error().message);
      options.bindings.push_back(std::move(*spec));
    }
  }
  if (args.count("env") != 0U) {
    for (const auto& kv : args["env"].as<std::vector<std::string>>()) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return fail("--env " + kv + ": expected K=V");
      options.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }

  std::vector<std::string> inputs;
  if (args.count("event") != 0U) inputs = args["event"].as<std::vector<std::string>>();
  if (inputs.empty()) {
    if (isatty(STDIN_FILENO) != 0)
      return fail("run: no events: pass --event <file | directory | file.ndjson | ->");
    inputs.emplace_back("-");
  }

  std::string handler = args.count("handler") != 0U ? args["handler"].as<std::string>() : "";
  auto target = resolve_target(args["target"].as<std::string>(), handler, args.count("rebuild") != 0U);
  if (!target) return fail(target.error().message);

  auto feed = nimbus::engine::EventFileFeed::open(inputs, event_defaults(target->config), &std::cin);
  if (!feed) return fail(feed.error().message);

  auto recorder = make_recorder(args, target->config, "emulator");
  if (!recorder) return fail(recorder.error().message);
  options.tap = recorder->get();

  nimbus::emulator::ReporterOptions style;
  style.json = args.count("json") != 0U;
  style.color = !style.json && (color == "always" || (color == "auto" && isatty(STDOUT_FILENO) != 0 &&
                                                      std::getenv("NO_COLOR") == nullptr));
  nimbus::emulator::Reporter reporter(std::cout, std::cerr, style);
  auto emu = nimbus::emulator::Emulator::create(target->config, target->library, options, reporter);
  if (!emu) return fail(emu.error().message);
  auto summary = (*emu)->run(*feed);
  std::cout.flush();
  return summary.exit_code() == 0 ? 0 : kExitFailed;
}

nimbus::engine::Processor* g_serving = nullptr;  // for the signal handler

extern "C" void on_stop_signal(int /*signal*/) {
  if (g_serving != nullptr) g_serving->request_stop();
}

// A trigger attribute as a string, or `fallback`.
std::string attribute(const nimbus::engine::TriggerSpec& t, const std::string& key,
                      const std::string& fallback) {
  auto it = t.attributes.find(key);
  if (it == t.attributes.end()) return fallback;
  return it->is_string() ? it->get<std::string>() : it->dump();
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

int serve_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus serve", "Serve a function over HTTP with the shared-memory runtime engine.");
  opts.custom_help("<function.yaml | lib.so> [options]");
  opts.positional_help("");
  opts.add_options()("target", "function.yaml or a function's .so", cxxopts::value<std::string>())(
      "port",
      "the HTTP trigger's port (default: the trigger's attributes.port, else 8080); 0 picks a free one",
      cxxopts::value<std::string>())(
      "admin-port", "the admin port: /live, /ready, /metrics (default 8081); 0 picks a free one",
      cxxopts::value<std::string>()->default_value("8081"))(
      "host", "the IPv4 address to listen on", cxxopts::value<std::string>()->default_value("0.0.0.0"))(
      "workers", "worker count (default: the trigger's numWorkers)", cxxopts::value<std::string>())(
      "worker-mode", "process (default) or thread (trusted C++ functions only)",
      cxxopts::value<std::string>())("max-body-size",
                                     "largest request body in bytes; larger ones get 413 (default 1048576)",
                                     cxxopts::value<std::string>())(
      "log-level", "lowest level of function logs written: debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("info"))(
      "event-timeout",
      "answer 504 and replace the worker after this long, e.g. 500ms or 30s "
      "(default: spec.eventTimeout, else 30s)",
      cxxopts::value<std::string>())("handler", "the function to run in a library that exports several",
                                     cxxopts::value<std::string>())(
      "rebuild", "build the function even if it looks up to date")("h,help", "show this help");
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "serve", args)) return *done;
  if (args.count("target") == 0U)
    return fail("serve: name a function.yaml or a .so (see 'nimbus serve --help')");
  auto level = nimbus::parse_log_level(args["log-level"].as<std::string>());
  if (!level)
    return fail("serve: --log-level " + args["log-level"].as<std::string>() +
                ": expected debug, info, warn or error");

  std::string handler = args.count("handler") != 0U ? args["handler"].as<std::string>() : "";
  auto target = resolve_target(args["target"].as<std::string>(), handler, args.count("rebuild") != 0U, true);
  if (!target) return fail(target.error().message);
  const FunctionConfig& config = target->config;

  // The HTTP trigger: the function's, or a default one.
  nimbus::engine::TriggerSpec trigger{"http", "http", 1, nimbus::Json::object()};
  for (const auto& t : config.triggers) {
    if (t.kind != "http") {
      return fail(config.file.filename().string() + ": spec.triggers." + t.name + ": kind '" + t.kind +
                  "' cannot be served yet; nimbus serve runs http triggers");
    }
  }
  if (config.triggers.size() > 1) {
    return fail(config.file.filename().string() + ": spec.triggers: " +
                std::to_string(config.triggers.size()) + " http triggers; nimbus serve runs one");
  }
  if (!config.triggers.empty()) trigger = config.triggers.front();
  const std::string where = "spec.triggers." + trigger.name + ".";

  nimbus::engine::ProcessorOptions o;
  o.trigger_name = trigger.name;
  o.host = args["host"].as<std::string>();
  auto port = parse_int(
      args.count("port") != 0U ? args["port"].as<std::string>() : attribute(trigger, "port", "8080"),
      args.count("port") != 0U ? "--port" : where + "attributes.port", 0, 65535);
  auto admin_port = parse_int(args["admin-port"].as<std::string>(), "--admin-port", 0, 65535);
  auto workers = args.count("workers") != 0U
                     ? parse_int(args["workers"].as<std::string>(), "--workers", 1, 1024)
                     : Result<int>(trigger.num_workers);
  auto max_body = parse_int(
      args.count("max-body-size") != 0U ? args["max-body-size"].as<std::string>()
                                        : attribute(trigger, "maxRequestBodySize", "1048576"),
      args.count("max-body-size") != 0U ? "--max-body-size" : where + "attributes.maxRequestBodySize", 0,
      256 << 20);
  for (const auto* r : {&port, &admin_port, &workers, &max_body}) {
    if (!*r) return fail("serve: " + r->error().message);
  }
  std::string mode = args.count("worker-mode") != 0U ? args["worker-mode"].as<std::string>()
                                                     : attribute(trigger, "workerMode", "process");
  if (mode != "process" && mode != "thread") {
    return fail(
        "serve: " +
        std::string(args.count("worker-mode") != 0U ? "--worker-mode" : where + "attributes.workerMode") +
        ": expected process or thread, got '" + mode + "'");
  }
  o.port = *port;
  o.admin_port = *admin_port;
  o.max_body_bytes = static_cast<std::size_t>(*max_body);

  nimbus::engine::DispatcherOptions& d = o.dispatch;
  d.num_workers = *workers;
  d.event_timeout = config.event_timeout;
  if (args.count("event-timeout") != 0U) {
    auto timeout = nimbus::engine::parse_duration(args["event-timeout"].as<std::string>());
    if (!timeout) return fail("serve: --event-timeout: " + timeout.error().message);
    d.event_timeout = *timeout;
  }
  d.worker.mode =
      mode == "thread" ? nimbus::engine::WorkerMode::kThread : nimbus::engine::WorkerMode::kProcess;
  d.worker.worker_executable = nimbus::cli::worker_executable();
  d.worker.library = target->library;
  if (target->has_config_file) d.worker.config = config.file;
  d.worker.function = config.function;
  d.worker.log_level = *level;
  // Room for the largest event (body and headers) several times over.
  const std::size_t ring =
      std::bit_ceil(std::max<std::size_t>(std::size_t{4} << 20, 4 * (o.max_body_bytes + (64U << 10))));
  d.worker.request_ring_bytes = ring;
  auto processor = nimbus::engine::Processor::start(std::move(o));
  if (!processor) return fail(processor.error().message);
  g_serving = processor->get();
  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGTERM, &stop, nullptr);
  sigaction(SIGINT, &stop, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  nimbus::Json ready{{"serving", config.name.empty() ? config.module : config.name},
                     {"host", args["host"].as<std::string>()},
                     {"port", (*processor)->port()},
                     {"admin_port", (*processor)->admin_port()},
                     {"workers", *workers},
                     {"worker_mode", mode}};
  std::cout << ready.dump() << std::endl;
  (*processor)->run();
  g_serving = nullptr;
  processor->reset();
  std::cerr << "nimbus: stopped\n";
  return 0;
}

// Writes --json's and --junit's reports; true when it could.
bool write_json_report(const cxxopts::ParseResult& args, const nimbus::replay::Report& report, bool stopped) {
  if (args.count("junit") != 0U) {
    const std::string path = args["junit"].as<std::string>();
    std::ofstream out(path, std::ios::trunc);
    report.write_junit(out);
    if (!out) {
      std::cerr << "nimbus: cannot write the report " << path << '\n';
      return false;
    }
  }
  if (args.count("json") == 0U) return true;
  const std::string path = args["json"].as<std::string>();
  std::ofstream out(path, std::ios::trunc);
  out << report.to_json(stopped).dump(2) << '\n';
  if (!out) {
    std::cerr << "nimbus: cannot write the report " << path << '\n';
    return false;
  }
  return true;
}

bool color_for(const cxxopts::ParseResult& args) {
  const std::string color = args["color"].as<std::string>();
  return color == "always" ||
         (color == "auto" && isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr);
}

// The noise flags that replay and diff share.
void add_noise_options(cxxopts::Options& opts) {
  opts.add_options()("noise", "noise rules file (default: replay.yaml beside the tape, when there is one)",
                     cxxopts::value<std::string>())("ignore-header",
                                                    "a response header that may differ (repeatable)",
                                                    cxxopts::value<std::vector<std::string>>())(
      "ignore-path",
      "a JSON pointer into a record that may differ, * for any key or index: /response/body/id "
      "(repeatable)",
      cxxopts::value<std::vector<std::string>>())("ignore-log-field",
                                                  "a log field that may differ (repeatable)",
                                                  cxxopts::value<std::vector<std::string>>())(
      "mask", "a regular expression whose matches are replaced before comparing (repeatable)",
      cxxopts::value<std::vector<std::string>>());
}

Result<nimbus::replay::NoiseRules> noise_rules(const cxxopts::ParseResult& args, const fs::path& tape) {
  nimbus::replay::NoiseRules rules;
  fs::path file = args.count("noise") != 0U ? fs::path(args["noise"].as<std::string>())
                                            : tape.parent_path() / "replay.yaml";
  std::error_code ec;
  if (args.count("noise") != 0U || fs::exists(file, ec)) {
    auto loaded = nimbus::replay::NoiseRules::load(file);
    if (!loaded) return loaded.error();
    rules = std::move(*loaded);
  }
  auto add = [&](const char* flag, std::vector<std::string>& out) {
    if (args.count(flag) == 0U) return;
    for (const auto& v : args[flag].as<std::vector<std::string>>()) out.push_back(v);
  };
  add("ignore-header", rules.headers);
  add("ignore-path", rules.paths);
  add("ignore-log-field", rules.log_fields);
  add("mask", rules.masks);
  for (const auto& m : rules.masks) {
    try {
      std::regex check(m);
    } catch (const std::regex_error& e) {
      return Error{"--mask " + m + ": not a regular expression: " + e.what()};
    }
  }
  for (const auto& p : rules.paths) {
    if (p.empty() || p[0] != '/')
      return Error{"--ignore-path " + p + ": a JSON pointer starts with '/', e.g. /response/body/id"};
  }
  return rules;
}

int replay_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus replay", "Replay a tape against a function and show what changed.");
  opts.custom_help("<tape.ndjson> --function <function.yaml | lib.so> [options]");
  opts.positional_help("");
  opts.add_options()("target", "the tape", cxxopts::value<std::string>())(
      "function", "function.yaml or a function's .so to replay against", cxxopts::value<std::string>())(
      "lenient", "let the function's configured bindings answer calls the tape does not have")(
      "strict", "stop at the first unreadable tape line (exit 2)")(
      "json", "also write the report as JSON to this file", cxxopts::value<std::string>())(
      "junit", "also write a JUnit XML report (one test case per record)", cxxopts::value<std::string>())(
      "log-level", "the lowest level of function logs compared: debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("debug"))(
      "handler", "the function to run in a library that exports several", cxxopts::value<std::string>())(
      "color", "colour output: auto, always, never", cxxopts::value<std::string>()->default_value("auto"))(
      "learn-noise", "first replay the tape twice and ignore whatever differs between those two runs")(
      "rebuild", "build the function even if it looks up to date")("h,help", "show this help");
  add_noise_options(opts);
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "replay", args)) return *done;
  if (args.count("target") == 0U) return fail("replay: name a tape (see 'nimbus replay --help')");
  if (args.count("function") == 0U) return fail("replay: name the function to replay against: --function F");
  auto level = nimbus::parse_log_level(args["log-level"].as<std::string>());
  if (!level)
    return fail("replay: --log-level " + args["log-level"].as<std::string>() +
                ": expected debug, info, warn or error");

  const std::string tape_path = args["target"].as<std::string>();
  auto tape = nimbus::recorder::TapeReader::open(tape_path);
  if (!tape) return fail(tape.error().message);
  std::string handler = args.count("handler") != 0U ? args["handler"].as<std::string>() : "";
  auto target = resolve_target(args["function"].as<std::string>(), handler, args.count("rebuild") != 0U);
  if (!target) return fail(target.error().message);

  auto noise = noise_rules(args, tape_path);
  if (!noise) return fail(noise.error().message);
  nimbus::replay::CompareOptions compare;
  compare.lenient = args.count("lenient") != 0U;
  compare.noise = *noise;
  nimbus::replay::RecordReplayer replayer(compare);
  nimbus::emulator::EmulatorOptions options;
  options.log_level = *level;
  options.tap = &replayer;
  std::ostringstream quiet;  // the emulator's own output is not the replay's
  nimbus::emulator::Reporter reporter(quiet, quiet, nimbus::emulator::ReporterOptions{});
  auto emu = nimbus::emulator::Emulator::create(target->config, target->library, options, reporter);
  if (!emu) return fail(emu.error().message);

  if (args.count("learn-noise") != 0U) {
    // Every record twice against this build: whatever differs between the two runs is noise.
    auto learning = nimbus::recorder::TapeReader::open(tape_path);
    if (!learning) return fail(learning.error().message);
    std::set<std::string> learned;
    while (auto item = (*learning)->next()) {
      if (!*item) continue;
      auto data = nimbus::engine::parse_event((*item)->event, "tape");
      if (!data) continue;
      nimbus::EventBuffer event(*data);
      std::optional<nimbus::recorder::TapeRecord> first;
      for (int run = 0; run < 2; ++run) {
        replayer.expect(**item);
        (*emu)->invoke(event.event(), tape_path);
        if (run == 0) {
          first = replayer.actual();
        } else {
          for (auto& path : nimbus::replay::NoiseRules::learn(*first, replayer.actual()))
            learned.insert(path);
        }
        (void)replayer.finish((*learning)->line());
      }
      quiet.str({});
    }
    nimbus::replay::NoiseRules rules = compare.noise;
    rules.paths.insert(rules.paths.end(), learned.begin(), learned.end());
    for (const auto& path : learned) std::cerr << "nimbus: learned noise: " << path << '\n';
    replayer.set_noise(std::move(rules));
  }

  nimbus::replay::Report report(tape_path, args["function"].as<std::string>());
  if (args.count("junit") != 0U) report.keep_passed();
  const bool progress = isatty(STDERR_FILENO) != 0;
  std::size_t done = 0;
  bool stopped = false;
  while (auto item = (*tape)->next()) {
    if (!*item) {
      report.add({(*tape)->line(), "", nimbus::replay::Outcome::kUnreadable, {}, item->error().message, 0});
      if (args.count("strict") != 0U) {
        stopped = true;
        break;
      }
      continue;
    }
    const nimbus::recorder::TapeRecord& record = **item;
    auto data = nimbus::engine::parse_event(record.event, "tape-" + std::to_string((*tape)->line()));
    if (!data) {
      report.add({(*tape)->line(),
                  "",
                  nimbus::replay::Outcome::kUnreadable,
                  {},
                  tape_path + ":" + std::to_string((*tape)->line()) + ": event: " + data.error().message,
                  0});
      continue;
    }
    nimbus::EventBuffer event(*data);
    replayer.expect(record);
    (*emu)->invoke(event.event(), tape_path);
    report.add(replayer.finish((*tape)->line()));
    if (progress && ++done % 256 == 0) std::cerr << "\rreplayed " << done << " records" << std::flush;
    quiet.str({});
  }
  if (progress && done >= 256) std::cerr << "\r\x1b[K";
  report.print(std::cout, color_for(args));
  if (stopped) std::cerr << "nimbus: replay stopped at an unreadable tape line (--strict)\n";
  if (!write_json_report(args, report, stopped)) return kExitError;
  if (stopped) return kExitError;
  return report.summary().exit_code();
}

int diff_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus diff", "Compare two tapes, record by record.");
  opts.custom_help("<a.ndjson> <b.ndjson> [options]");
  opts.positional_help("");
  opts.add_options()("tapes", "the two tapes", cxxopts::value<std::vector<std::string>>())(
      "json", "also write the report as JSON to this file", cxxopts::value<std::string>())(
      "color", "colour output: auto, always, never", cxxopts::value<std::string>()->default_value("auto"))(
      "h,help", "show this help");
  add_noise_options(opts);
  opts.parse_positional({"tapes"});
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return fail(std::string("diff: ") + e.what());
  }
  if (args.count("help") != 0U) {
    std::cout << opts.help();
    return 0;
  }
  if (args.count("tapes") == 0U || args["tapes"].as<std::vector<std::string>>().size() != 2) {
    return fail("diff: name two tapes");
  }
  const auto names = args["tapes"].as<std::vector<std::string>>();
  auto a = nimbus::recorder::TapeReader::open(names[0]);
  if (!a) return fail(a.error().message);
  auto b = nimbus::recorder::TapeReader::open(names[1]);
  if (!b) return fail(b.error().message);
  auto noise = noise_rules(args, names[0]);
  if (!noise) return fail(noise.error().message);
  nimbus::replay::Report report(names[0], names[1], names[0], names[1]);
  for (;;) {
    auto x = (*a)->next();
    auto y = (*b)->next();
    if (!x && !y) break;
    const std::size_t line = (*a)->line();
    if (!x || !y) {  // one tape is longer
      const auto& extra = x ? *x : *y;
      std::string where =
          x ? names[0] + ":" + std::to_string((*a)->line()) : names[1] + ":" + std::to_string((*b)->line());
      report.add({line,
                  extra ? extra->event.value("id", "") : "",
                  nimbus::replay::Outcome::kUnreadable,
                  {},
                  where + ": only in " + (x ? names[0] : names[1]),
                  0});
      continue;
    }
    if (!*x || !*y) {
      report.add(
          {line, "", nimbus::replay::Outcome::kUnreadable, {}, (!*x ? x->error() : y->error()).message, 0});
      continue;
    }
    report.add(nimbus::replay::compare_records(**x, **y, line, *noise));
  }
  report.print(std::cout, color_for(args));
  if (!write_json_report(args, report, false)) return kExitError;
  return report.summary().exit_code();
}

int build_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus build", "Build a C++ function's shared library into .nimbus/ beside it.");
  opts.custom_help("<function.yaml> [options]");
  opts.positional_help("");
  opts.add_options()("target", "function.yaml", cxxopts::value<std::string>())(
      "force", "build even if the library looks up to date")("h,help", "show this help");
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "build", args)) return *done;
  if (args.count("target") == 0U) return fail("build: name a function.yaml");
  auto config = nimbus::engine::load_function_config(args["target"].as<std::string>());
  if (!config) return fail(config.error().message);
  auto built = nimbus::engine::build_function(*config, build_options(args.count("force") != 0U));
  if (!built) return fail(built.error().message);
  std::cout << built->library.string() << (built->rebuilt ? "" : " (up to date)") << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitError;
  }
  std::string command = argv[1];
  if (command == "run") return run_command(argc - 1, argv + 1);
  if (command == "serve") return serve_command(argc - 1, argv + 1);
  if (command == "build") return build_command(argc - 1, argv + 1);
  if (command == "replay") return replay_command(argc - 1, argv + 1);
  if (command == "diff") return diff_command(argc - 1, argv + 1);
  if (command == "version" || command == "--version") {
    std::cout << "nimbus " << nimbus::kSdkVersion << " (function ABI " << nimbus::kAbiVersion << ")\n";
    return 0;
  }
  if (command == "help" || command == "-h" || command == "--help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "nimbus: unknown command '" << command << "'\n\n" << kUsage;
  return kExitError;
}
