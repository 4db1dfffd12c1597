// nimbus: the one command.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "nimbus/emulator/emulator.hpp"
#include "nimbus/engine/binding_registry.hpp"
#include "nimbus/engine/event_loop.hpp"
#include "nimbus/engine/processor.hpp"
#include "nimbus/engine/serve_plan.hpp"
#include "nimbus/function.hpp"
#include "nimbus/recorder/recorder.hpp"
#include "nimbus/version.hpp"
#include "sdk_package.hpp"

namespace nimbus::cli {
namespace {

constexpr const char* kUsage = R"(usage: nimbus <command> [options]

commands:
  run <function.yaml | lib.so>   run a function in the emulator on event files or its own triggers
  serve <function.yaml | lib.so> serve a function over HTTP with the shared-memory engine
  invoke <url> --event F         send event files to a running function and show its answers and logs
  replay <tape> --function F     replay a tape against a function and show what changed
  diff <a.ndjson> <b.ndjson>     compare two tapes
  build <function.yaml>          build a C++ function's shared library into .nimbus/
  events new <kind>              write an event file of a kind (http, cloudevent, cron, nats, mqtt, kafka, redis)
  version                        print the version

'nimbus <command> --help' describes a command's options.
)";

nimbus::engine::Processor* g_serving = nullptr;  // for the signal handler
std::atomic<bool> g_stop_running{false};         // `nimbus run` on the function's triggers

extern "C" void on_stop_signal(int /*signal*/) {
  if (g_serving != nullptr) g_serving->request_stop();
  g_stop_running.store(true);
}

// SIGTERM and SIGINT stop a serve or a run on triggers cleanly (without SA_RESTART: a wait ends).
void stop_on_signals() {
  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGTERM, &stop, nullptr);
  sigaction(SIGINT, &stop, nullptr);
}

void add_run_options(cxxopts::Options& opts) {
  opts.custom_help("<function.yaml | lib.so> [options]");
  opts.positional_help("");
  opts.add_options()("target", "function.yaml or a function's .so", cxxopts::value<std::string>())(
      "e,event",
      "event file, directory, .ndjson file, or - for stdin (repeatable); without it, "
      "the function's own triggers run",
      cxxopts::value<std::vector<std::string>>())(
      "trigger", "without --event: run only this trigger of function.yaml (repeatable)",
      cxxopts::value<std::vector<std::string>>())("host",
                                                  "without --event: the address HTTP triggers listen on",
                                                  cxxopts::value<std::string>()->default_value("127.0.0.1"))(
      "port", "without --event: the HTTP trigger's port (0 picks a free one)", cxxopts::value<std::string>())(
      "bind", "wire a binding: name=memory or name=file:fixture.json (repeatable)",
      cxxopts::value<std::vector<std::string>>())("env", "set an environment variable K=V (repeatable)",
                                                  cxxopts::value<std::vector<std::string>>())(
      "json", "print one JSON object per line")(
      "log-level", "lowest level of function logs shown: debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("debug"))(
      "log-sink",
      "where logs go besides this output, instead of spec.logger.sinks' (repeatable; its console sinks are "
      "this output): file:path=F[,maxBytes=N,format=text], http:url=U, console:stream=stderr",
      cxxopts::value<std::vector<std::string>>())(
      "handler", "the function to run in a library that exports several", cxxopts::value<std::string>())(
      "color", "colour output: auto, always, never", cxxopts::value<std::string>()->default_value("auto"))(
      "rebuild", "build the function even if it looks up to date")(
      "debug-port", "Python functions: start debugpy on this port and wait for the debugger to attach",
      cxxopts::value<std::string>())("h,help", "show this help");
  add_record_options(opts);
}

// The log sinks: --log-sink's, else spec.logger.sinks; for the emulator (`emulating`) without
// the configured console ones, as its own output is the console.
Result<std::vector<engine::LogSinkSpec>> log_sink_specs(const cxxopts::ParseResult& args,
                                                        const engine::FunctionConfig& config,
                                                        bool emulating) {
  std::vector<engine::LogSinkSpec> sinks;
  if (args.count("log-sink") == 0U) {
    for (const auto& spec : config.logger.sinks) {
      if (!emulating || spec.kind != "console") sinks.push_back(spec);
    }
    return sinks;
  }
  for (const auto& flag : args["log-sink"].as<std::vector<std::string>>()) {
    auto sink = engine::parse_log_sink_flag(flag);
    if (!sink) return sink.error();
    sinks.push_back(std::move(*sink));
  }
  return sinks;
}

// --log-level, --bind, --env and --debug-port, as the emulator takes them.
Result<emulator::EmulatorOptions> emulator_options(const cxxopts::ParseResult& args) {
  emulator::EmulatorOptions options;
  auto level = nimbus::parse_log_level(args["log-level"].as<std::string>());
  if (!level)
    return Error{"--log-level " + args["log-level"].as<std::string>() +
                 ": expected debug, info, warn or error"};
  options.log_level = *level;
  if (args.count("bind") != 0U) {
    for (const auto& flag : args["bind"].as<std::vector<std::string>>()) {
      auto spec = nimbus::engine::parse_binding_flag(flag);
      if (!spec) return spec.error();
      options.bindings.push_back(std::move(*spec));
    }
  }
  if (args.count("env") != 0U) {
    for (const auto& kv : args["env"].as<std::vector<std::string>>()) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return Error{"--env " + kv + ": expected K=V"};
      options.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  if (args.count("debug-port") != 0U) {
    auto port = parse_int(args["debug-port"].as<std::string>(), "--debug-port", 1, 65535);
    if (!port) return port.error();
    options.env.emplace_back("NIMBUS_DEBUG_PORT", std::to_string(*port));
  }
  return options;
}

// What each trigger says of itself (serve's ready line has the same), with the host it listens on.
nimbus::Json described(const std::vector<engine::Trigger*>& triggers, const std::string& host) {
  nimbus::Json out = nimbus::Json::array();
  for (auto* t : triggers) {
    nimbus::Json d{{"name", t->spec().name}, {"kind", t->spec().kind}};
    const nimbus::Json said = t->describe();  // kept: items() views it
    for (const auto& [k, v] : said.items()) d[k] = v;
    if (d.contains("port")) d["host"] = host;
    out.push_back(std::move(d));
  }
  return out;
}

// Without --event: the function's own triggers, as --trigger, --host and --port choose them.
Result<TriggerList> own_triggers(const engine::FunctionConfig& config, const cxxopts::ParseResult& args) {
  std::vector<std::string> names;
  if (args.count("trigger") != 0U) names = args["trigger"].as<std::vector<std::string>>();
  std::optional<int> port;
  if (args.count("port") != 0U) {
    auto p = parse_int(args["port"].as<std::string>(), "--port", 0, 65535);
    if (!p) return p.error();
    port = *p;
  }
  return function_triggers(config, names, args["host"].as<std::string>(), port);
}

}  // namespace

int run_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus run", "Run a function in the emulator against event files.");
  add_run_options(opts);
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "run", args)) return *done;
  if (args.count("target") == 0U) return fail("run: name a function.yaml or a .so (see 'nimbus run --help')");

  std::string color = args["color"].as<std::string>();
  if (color != "auto" && color != "always" && color != "never")
    return fail("run: --color " + color + ": expected auto, always or never");
  auto emulating = emulator_options(args);
  if (!emulating) return fail("run: " + emulating.error().message);
  emulator::EmulatorOptions& options = *emulating;

  std::vector<std::string> inputs;
  if (args.count("event") != 0U) inputs = args["event"].as<std::vector<std::string>>();

  std::string handler = args.count("handler") != 0U ? args["handler"].as<std::string>() : "";
  auto target = resolve_target(args["target"].as<std::string>(), handler, args.count("rebuild") != 0U);
  if (!target) return fail(target.error().message);
  if (args.count("debug-port") != 0U && target->config.runtime != "python") {
    return fail(
        "run: --debug-port is for Python functions; debug a C++ function with gdb --args nimbus run ...");
  }

  // The events: a file trigger over the inputs, or the function's own triggers, run in this process.
  auto loop = engine::EventLoop::create();
  if (!loop) return fail(loop.error().message);
  auto sources = inputs.empty() ? own_triggers(target->config, args) : event_source(target->config, inputs);
  if (!sources) return fail(sources.error().message);
  std::vector<engine::Trigger*> triggers;
  for (auto& t : *sources) {
    if (auto opened = t->open(**loop); !opened) return fail(opened.error().message);
    triggers.push_back(t.get());
  }

  auto recording = open_recording(args, target->config, "emulator", options.log_level);
  if (!recording) return fail(recording.error().message);
  std::unique_ptr<nimbus::recorder::Recorder> recorder;
  if (*recording) {
    recorder =
        std::make_unique<nimbus::recorder::Recorder>(std::move((*recording)->tape), (*recording)->sample);
    options.tap = recorder.get();
  }

  nimbus::emulator::ReporterOptions style;
  style.json = args.count("json") != 0U;
  style.live = inputs.empty();
  style.color = !style.json && (color == "always" || (color == "auto" && isatty(STDOUT_FILENO) != 0 &&
                                                      std::getenv("NO_COLOR") == nullptr));
  nimbus::emulator::Reporter reporter(std::cout, std::cerr, style);
  auto sink_specs = log_sink_specs(args, target->config, true);
  if (!sink_specs) return fail("run: " + sink_specs.error().message);
  if (!sink_specs->empty()) {  // the records go where nimbus serve would send them, too
    engine::LogSinkRegistry kinds;
    engine::register_builtin_log_sinks(kinds);
    std::vector<std::unique_ptr<engine::LogEntrySink>> sinks;
    for (const auto& spec : *sink_specs) {
      auto sink = kinds.make(spec);
      if (!sink) return fail("run: " + sink.error().message);
      sinks.push_back(std::move(*sink));
    }
    reporter.also_to(std::move(sinks),
                     target->config.name.empty() ? target->config.module : target->config.name,
                     target->config.version);
  }
  auto emu = nimbus::emulator::Emulator::create(target->config, target->library, options, reporter);
  if (!emu) return fail(emu.error().message);
  if (inputs.empty()) {
    stop_on_signals();  // before the ready line: whoever reads it may stop us at once
    reporter.ready(target->config.name.empty() ? target->config.module : target->config.name,
                   described(triggers, args["host"].as<std::string>()));
  }
  auto summary = (*emu)->run(**loop, triggers, &g_stop_running);
  std::cout.flush();
  return summary.exit_code() == 0 ? 0 : kExitFailed;
}

namespace {

// --port, --max-body-size, --workers, --worker-mode and --event-timeout, over function.yaml's.
Result<engine::ServeOverrides> serve_overrides(const cxxopts::ParseResult& args) {
  engine::ServeOverrides o;
  if (args.count("port") != 0U) {
    auto port = parse_int(args["port"].as<std::string>(), "--port", 0, 65535);
    if (!port) return port.error();
    o.port = *port;
  }
  if (args.count("max-body-size") != 0U) {
    auto bytes = parse_int(args["max-body-size"].as<std::string>(), "--max-body-size", 0, 256 << 20);
    if (!bytes) return bytes.error();
    o.max_body_bytes = static_cast<std::size_t>(*bytes);
  }
  if (args.count("workers") != 0U) {
    auto workers = parse_int(args["workers"].as<std::string>(), "--workers", 1, 1024);
    if (!workers) return workers.error();
    o.workers = *workers;
  }
  if (args.count("worker-mode") != 0U) {
    const std::string mode = args["worker-mode"].as<std::string>();
    if (mode != "process" && mode != "thread")
      return Error{"--worker-mode: expected process or thread, got '" + mode + "'"};
    o.worker_mode = mode == "thread" ? engine::WorkerMode::kThread : engine::WorkerMode::kProcess;
  }
  if (args.count("event-timeout") != 0U) {
    auto timeout = engine::parse_duration(args["event-timeout"].as<std::string>());
    if (!timeout) return Error{"--event-timeout: " + timeout.error().message};
    o.event_timeout = *timeout;
  }
  return o;
}

}  // namespace

namespace {

void add_serve_options(cxxopts::Options& opts) {
  opts.custom_help("<function.yaml | lib.so> [options]");
  opts.positional_help("");
  opts.add_options()("target", "function.yaml or a function's .so", cxxopts::value<std::string>())(
      "port", "the HTTP trigger's port (default: its attributes.port, else 8080); 0 picks a free one",
      cxxopts::value<std::string>())(
      "admin-port", "the admin port: /live, /ready, /metrics (default 8081); 0 picks a free one",
      cxxopts::value<std::string>()->default_value("8081"))(
      "host", "the IPv4 address to listen on", cxxopts::value<std::string>()->default_value("0.0.0.0"))(
      "workers", "worker count of every trigger (default: each trigger's numWorkers)",
      cxxopts::value<std::string>())("worker-mode",
                                     "process (default) or thread (trusted C++ functions only)",
                                     cxxopts::value<std::string>())(
      "max-body-size", "largest request body in bytes; larger ones get 413 (default 1048576)",
      cxxopts::value<std::string>())("log-level",
                                     "lowest level of function logs written: debug, info, warn, error "
                                     "(default: spec.logger.level, else info); PUT /loglevel changes it",
                                     cxxopts::value<std::string>())(
      "log-sink",
      "where logs go, instead of spec.logger.sinks (repeatable): console[:format=text|json,stream=stdout], "
      "file:path=F[,maxBytes=N,maxFiles=N,format=text]",
      cxxopts::value<std::vector<std::string>>())(
      "event-timeout",
      "answer 504 and replace the worker after this long, e.g. 500ms or 30s "
      "(default: spec.eventTimeout, else 30s)",
      cxxopts::value<std::string>())("handler", "the function to run in a library that exports several",
                                     cxxopts::value<std::string>())(
      "rebuild", "build the function even if it looks up to date")("h,help", "show this help");
  add_record_options(opts);
}

// Serves until a signal or every trigger is done, after the ready line.
void serve_until_stopped(engine::Processor& processor, const std::string& name, const std::string& host) {
  g_serving = &processor;
  stop_on_signals();

  // The one machine-readable line, once every trigger and the admin port are ready.
  nimbus::Json ready{{"serving", name}, {"host", host}, {"adminPort", processor.admin_port()}};
  if (processor.port() >= 0) ready["port"] = processor.port();
  ready["triggers"] = processor.describe_triggers();
  std::cout << ready.dump(-1, ' ', false, nimbus::Json::error_handler_t::replace) << std::endl;
  processor.run();
  g_serving = nullptr;
}

}  // namespace

int serve_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus serve",
                        "Serve a function on its triggers with the shared-memory runtime engine.");
  add_serve_options(opts);
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "serve", args)) return *done;
  if (args.count("target") == 0U)
    return fail("serve: name a function.yaml or a .so (see 'nimbus serve --help')");
  auto overrides = serve_overrides(args);
  if (!overrides) return fail("serve: " + overrides.error().message);
  auto admin_port = parse_int(args["admin-port"].as<std::string>(), "--admin-port", 0, 65535);
  if (!admin_port) return fail("serve: " + admin_port.error().message);

  std::string handler = args.count("handler") != 0U ? args["handler"].as<std::string>() : "";
  auto target = resolve_target(args["target"].as<std::string>(), handler, args.count("rebuild") != 0U, true);
  if (!target) return fail(target.error().message);
  const engine::FunctionConfig& config = target->config;
  const std::string level_text = args.count("log-level") != 0U ? args["log-level"].as<std::string>()
                                                               : config.logger.level.value_or("info");
  auto level = nimbus::parse_log_level(level_text);
  if (!level) return fail("serve: --log-level " + level_text + ": expected debug, info, warn or error");
  auto sinks = log_sink_specs(args, config, false);
  if (!sinks) return fail("serve: " + sinks.error().message);

  // What every worker runs.
  engine::WorkerOptions worker;
  worker.worker_executable = worker_executable();
  set_worker_function(*target, worker);
  worker.log_level = *level;
  auto recording = open_recording(args, config, "engine", *level);
  if (!recording) return fail(recording.error().message);
  std::unique_ptr<nimbus::recorder::EngineRecorder> recorder;
  if (*recording) {
    worker.redacted_headers = (*recording)->tape->redaction().headers;  // the workers write the records
    recorder = std::make_unique<nimbus::recorder::EngineRecorder>(std::move((*recording)->tape),
                                                                  (*recording)->sample);
  }
  auto plan = engine::plan_triggers(config, *overrides, worker);
  if (!plan) return fail("serve: " + plan.error().message);

  std::signal(SIGPIPE, SIG_IGN);  // a reader of the logs that went away costs the logs, not the server
  engine::ProcessorOptions o;
  o.triggers = std::move(*plan);
  o.function_name = config.name.empty() ? config.module : config.name;
  o.function_version = config.version;
  if (!sinks->empty()) o.log_sinks = std::move(*sinks);
  o.host = args["host"].as<std::string>();
  o.admin_port = *admin_port;
  if (const char* token = std::getenv("NIMBUS_ADMIN_TOKEN"); token != nullptr) o.admin_token = token;
  o.tap = recorder.get();
  o.standard_input = &std::cin;
  auto processor = engine::Processor::start(std::move(o));
  if (!processor) return fail(processor.error().message);
  serve_until_stopped(**processor, config.name.empty() ? config.module : config.name,
                      args["host"].as<std::string>());
  processor->reset();
  if (recorder) std::cerr << "nimbus: recorded " << recorder->recorded() << " invocations\n";
  recorder.reset();  // writes out the tape's last lines
  std::cerr << "nimbus: stopped\n";
  return 0;
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
  auto built = build_function(*config, build_options(args.count("force") != 0U));
  if (!built) return fail(built.error().message);
  std::cout << built->library.string() << (built->rebuilt ? "" : " (up to date)") << '\n';
  return 0;
}

int dispatch(int argc, char** argv) {
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
  if (command == "events") return events_command(argc - 1, argv + 1);
  if (command == "invoke") return invoke_command(argc - 1, argv + 1);
  if (command == "version" || command == "--version") {
    std::cout << "nimbus " << nimbus::kSdkVersion << " (function ABI " << nimbus::detail::kAbiVersion
              << ")\n";
    return 0;
  }
  if (command == "help" || command == "-h" || command == "--help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "nimbus: unknown command '" << command << "'\n\n" << kUsage;
  return kExitError;
}

}  // namespace nimbus::cli

int main(int argc, char** argv) {
  // Every error below is reported where it happens, naming what was wrong; this is the last
  // line of defence against a bug, so that nimbus never ends by an uncaught exception.
  try {
    return nimbus::cli::dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "nimbus: internal error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "nimbus: internal error\n";
  }
  return nimbus::cli::kExitError;
}
