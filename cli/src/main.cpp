// nimbus: the one command.
#include <unistd.h>

#include <cstdlib>
#include <cxxopts.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "nimbus/emulator/emulator.hpp"
#include "nimbus/engine/binding_registry.hpp"
#include "nimbus/engine/event_file.hpp"
#include "nimbus/engine/function_builder.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/function.hpp"
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
nimbus::engine::BuildOptions build_options(bool force) {
  nimbus::engine::BuildOptions options;
  options.package_dir = nimbus::cli::sdk_package_dir();
  options.force = force;
  options.progress = &std::cerr;
  return options;
}

// The function to run: its configuration and its built library.
struct Target {
  FunctionConfig config;
  fs::path library;
};

Result<Target> resolve_target(const std::string& target, const std::string& handler, bool rebuild) {
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
    return Target{std::move(c), path};
  }
  auto config = nimbus::engine::load_function_config(path);
  if (!config) return config.error();
  if (!handler.empty()) config->function = handler;
  auto built = nimbus::engine::build_function(*config, build_options(rebuild));
  if (!built) return built.error();
  return Target{std::move(*config), built->library};
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
      "rebuild", "build the function even if it looks up to date")("h,help", "show this help");
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
  if (command == "build") return build_command(argc - 1, argv + 1);
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
