#pragma once
/// @file
/// Replaying a whole tape against a function, in the emulator or through the
/// engine's workers, with `--learn-noise`; and comparing two tapes. What
/// `nimbus replay` and `nimbus diff` run; the command line only parses flags
/// and writes the reports.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/worker.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/replay/replayer.hpp"
#include "nimbus/result.hpp"

namespace nimbus::replay {

/// How to replay a tape.
struct TapeReplayOptions {
  std::filesystem::path tape;
  /// The function to replay against: its configuration and its built library.
  engine::FunctionConfig config;
  std::filesystem::path library;
  /// Through the engine's worker processes (`--engine`), or in this process.
  bool engine = false;
  /// With `engine`: what each worker runs (its executable, library, entry, function.yaml);
  /// `workers`: how many (0: the function's HTTP trigger's numWorkers).
  engine::WorkerOptions worker;
  int workers = 0;
  /// The lowest level of log records compared (the tape's `logLevel` by default).
  LogLevel level = LogLevel::kDebug;
  CompareOptions compare;
  /// Stop at the first unreadable tape line.
  bool strict = false;
  /// Only the records on these tape lines (`--line`: an editor re-running
  /// one record); every record when empty.
  std::set<std::size_t> only_lines;
  /// First replay every record twice, and ignore whatever differs between the two runs.
  bool learn_noise = false;
  /// Told after each record: how many so far, and how many bytes of the tape were read.
  std::function<void(std::size_t records, std::uint64_t bytes)> progress;
};

/// What a replay did besides the results it handed to the report.
struct TapeReplayOutcome {
  bool stopped = false;           ///< `strict` stopped it at an unreadable line
  std::set<std::string> learned;  ///< with `learn_noise`: the paths ignored
};

/// Replays the tape against the function and hands each record's result to
/// `report`, in tape order. An error when it cannot run at all (the tape,
/// the function, the workers); a bad tape line is a result naming its line.
Result<TapeReplayOutcome> replay_tape(const TapeReplayOptions& options, Report& report) noexcept;

/// Compares tape `a` with tape `b`, record by record, ignoring `noise`; each
/// result goes to `report`. An error when either cannot be opened.
Result<void> diff_tapes(const std::filesystem::path& a, const std::filesystem::path& b,
                        const NoiseRules& noise, Report& report) noexcept;

}  // namespace nimbus::replay
