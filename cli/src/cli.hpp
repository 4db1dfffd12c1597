#pragma once
// What the nimbus commands share: argument handling, finding and building
// the function, recording options, and the commands themselves.

// Repeated flags are repeated, never split on commas (a regex or a value may hold one).
#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "function_builder.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/trigger.hpp"
#include "nimbus/engine/worker.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/recorder/tape.hpp"
#include "nimbus/result.hpp"

namespace nimbus::cli {

inline constexpr int kExitFailed = 1;  // some event failed, or something changed
inline constexpr int kExitError = 2;   // nothing could be run: bad arguments, config or library

/// Prints "nimbus: <message>" on stderr; returns kExitError.
int fail(const std::string& message);

/// Parses a command's arguments (the positional one is "target"). Returns an
/// exit status when the command is already done (--help printed, or a parse
/// error reported).
std::optional<int> parse_command(cxxopts::Options& opts, int argc, char** argv, const std::string& command,
                                 cxxopts::ParseResult& args,
                                 const std::vector<std::string>& positional = {"target"});

/// How `nimbus` builds functions: against the SDK package it finds, saying so on stderr.
BuildOptions build_options(bool force, bool optimized = false);

/// The function to run: its configuration and its built library.
struct Target {
  engine::FunctionConfig config;
  std::filesystem::path library;
  bool has_config_file = false;  // false when given a .so: the config is made up
};

/// Loads function.yaml and builds it (optimized: RelWithDebInfo, for the engine), or takes a .so.
Result<Target> resolve_target(const std::string& target, const std::string& handler, bool rebuild,
                              bool optimized = false);

/// Points worker options at the target's library, entry and configuration.
void set_worker_function(const Target& target, engine::WorkerOptions& worker);

/// Triggers for the emulator to run.
using TriggerList = std::vector<std::unique_ptr<engine::Trigger>>;

/// The events of `--event` inputs (files, directories, NDJSON, "-"): a file
/// trigger, whose events say they came through the function's HTTP trigger.
Result<TriggerList> event_source(const engine::FunctionConfig& config,
                                 const std::vector<std::string>& inputs);

/// The function's own triggers, for `nimbus run` without `--event`: those of
/// `spec.triggers` (one HTTP trigger when it declares none), only those
/// `names` names when it names any, network ones listening on `host`, the
/// HTTP trigger on `port` when given. An unknown name is an error listing them.
Result<TriggerList> function_triggers(const engine::FunctionConfig& config,
                                      const std::vector<std::string>& names, const std::string& host,
                                      std::optional<int> port);

/// A whole number within [low, high]; the error names `what`.
Result<int> parse_int(const std::string& text, const std::string& what, long long low, long long high);

/// Whether --color (auto, always, never) asks for colour on stdout.
bool color_for(const cxxopts::ParseResult& args);

/// --record, --record-sample and --redact-header.
void add_record_options(cxxopts::Options& opts);

/// A tape to record to, and the fraction of invocations to record.
struct Recording {
  std::unique_ptr<recorder::TapeWriter> tape;
  double sample = 1.0;
};

/// Opens --record's tape (secrets: the values of spec.env variables named
/// like secrets); nothing without --record.
/// `level`: the lowest level of log records the function sends, so recorded.
Result<std::optional<Recording>> open_recording(const cxxopts::ParseResult& args,
                                                const engine::FunctionConfig& config,
                                                const std::string& source, LogLevel level);

int run_command(int argc, char** argv);
int serve_command(int argc, char** argv);
int replay_command(int argc, char** argv);
int diff_command(int argc, char** argv);
int build_command(int argc, char** argv);
int events_command(int argc, char** argv);
int invoke_command(int argc, char** argv);

}  // namespace nimbus::cli
