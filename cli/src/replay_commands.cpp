// nimbus replay and nimbus diff.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "nimbus/recorder/tape.hpp"
#include "nimbus/replay/replayer.hpp"
#include "nimbus/replay/tape_replay.hpp"
#include "sdk_package.hpp"

namespace nimbus::cli {
namespace {

namespace fs = std::filesystem;

// Writes the report file a flag names, if it was given; false when it cannot.
template <class Write>
bool write_report(const cxxopts::ParseResult& args, const char* flag, Write&& write) {
  if (args.count(flag) == 0U) return true;
  const std::string path = args[flag].as<std::string>();
  std::ofstream out(path, std::ios::trunc);
  write(out);
  if (!out) {
    std::cerr << "nimbus: cannot write the report " << path << '\n';
    return false;
  }
  return true;
}

// --junit, --html and --json: each is written, even after a failure of another.
bool write_reports(const cxxopts::ParseResult& args, const replay::Report& report, bool stopped) {
  const bool junit = write_report(args, "junit", [&](std::ostream& out) { report.write_junit(out); });
  const bool html = write_report(args, "html", [&](std::ostream& out) { report.write_html(out); });
  const bool json =
      write_report(args, "json", [&](std::ostream& out) { out << report.to_json(stopped).dump(2) << '\n'; });
  return junit && html && json;
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

Result<replay::NoiseRules> noise_rules(const cxxopts::ParseResult& args, const fs::path& tape) {
  replay::NoiseRules rules;
  fs::path file = args.count("noise") != 0U ? fs::path(args["noise"].as<std::string>())
                                            : tape.parent_path() / "replay.yaml";
  std::error_code ec;
  if (args.count("noise") != 0U || fs::exists(file, ec)) {
    auto loaded = replay::NoiseRules::load(file);
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
    if (auto ok = replay::NoiseRules::check_mask(m, "--mask " + m); !ok) return ok.error();
  }
  for (const auto& p : rules.paths) {
    if (p.empty() || p[0] != '/')
      return Error{"--ignore-path " + p + ": a JSON pointer starts with '/', e.g. /response/body/id"};
  }
  return rules;
}

// Shows how far a replay is, on a terminal: a bar, the records done and their rate.
class Progress {
 public:
  Progress(bool on, std::uint64_t total_bytes) : on_(on), total_(total_bytes) {}
  ~Progress() { done(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::size_t records, std::uint64_t bytes) {
    records_ = records;
    if (!on_ || (records & 63U) != 1) return;  // look at the clock every 64 records
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    draw(total_ == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(total_));
  }
  // The last state, then the bar goes: the summary follows.
  void done() {
    if (!on_ || finished_) return;
    finished_ = true;
    draw(1.0);
    std::cerr << "\r\x1b[K" << std::flush;
  }

 private:
  void draw(double fraction) {
    fraction = std::min(1.0, fraction);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::cerr << fmt::format("\r[{}{}] {:3.0f}%  {} records  {:.0f}/s", std::string(filled, '#'),
                             std::string(kWidth - filled, '.'), fraction * 100, records_,
                             seconds > 0 ? static_cast<double>(records_) / seconds : 0.0)
              << std::flush;
    shown_ = true;
  }

  bool on_;
  std::uint64_t total_;
  std::size_t records_ = 0;
  bool shown_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace

namespace {

void add_replay_options(cxxopts::Options& opts) {
  opts.custom_help("<tape.ndjson> --function <function.yaml | lib.so> [options]");
  opts.positional_help("");
  opts.add_options()("target", "the tape", cxxopts::value<std::string>())(
      "function", "function.yaml or a function's .so to replay against", cxxopts::value<std::string>())(
      "engine", "replay through the shared-memory engine (worker processes, as nimbus serve runs them)")(
      "workers", "with --engine: worker count (default: the http trigger's numWorkers)",
      cxxopts::value<std::string>())(
      "lenient", "let the function's configured bindings answer calls the tape does not have")(
      "strict", "stop at the first unreadable tape line (exit 2)")(
      "line", "replay only the record on this tape line (repeatable)",
      cxxopts::value<std::vector<std::string>>())("json", "also write the report as JSON to this file",
                                                  cxxopts::value<std::string>())(
      "junit", "also write a JUnit XML report (one test case per record)", cxxopts::value<std::string>())(
      "html", "also write a self-contained HTML report with side-by-side diffs",
      cxxopts::value<std::string>())(
      "log-level",
      "the lowest level of function logs compared: debug, info, warn, error (default: the level the tape "
      "was recorded at)",
      cxxopts::value<std::string>())("handler", "the function to run in a library that exports several",
                                     cxxopts::value<std::string>())(
      "color", "colour output: auto, always, never", cxxopts::value<std::string>()->default_value("auto"))(
      "learn-noise", "first replay the tape twice and ignore whatever differs between those two runs")(
      "rebuild", "build the function even if it looks up to date")("h,help", "show this help");
  add_noise_options(opts);
}

// Replays with a progress bar on a terminal, then reports; the exit status.
int replay_and_report(replay::TapeReplayOptions& o, const cxxopts::ParseResult& args,
                      std::uint64_t tape_bytes) {
  replay::Report report(o.tape.string(), args["function"].as<std::string>());
  if (args.count("junit") != 0U || args.count("json") != 0U) report.keep_passed();  // a case per record
  Result<replay::TapeReplayOutcome> outcome = Error{};
  {
    Progress progress(isatty(STDERR_FILENO) != 0, tape_bytes);
    o.progress = [&progress](std::size_t records, std::uint64_t bytes) { progress.update(records, bytes); };
    outcome = replay::replay_tape(o, report);
    progress.done();
  }
  if (!outcome) return fail(outcome.error().message);
  const bool stopped = outcome->stopped;
  report.print(std::cout, color_for(args));
  if (stopped) std::cerr << "nimbus: replay stopped at an unreadable tape line (--strict)\n";
  if (!write_reports(args, report, stopped)) return kExitError;
  if (stopped) return kExitError;
  return report.summary().exit_code();
}

}  // namespace

int replay_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus replay", "Replay a tape against a function and show what changed.");
  add_replay_options(opts);
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "replay", args)) return *done;
  if (args.count("target") == 0U) return fail("replay: name a tape (see 'nimbus replay --help')");
  if (args.count("function") == 0U) return fail("replay: name the function to replay against: --function F");
  const bool use_engine = args.count("engine") != 0U;
  if (args.count("workers") != 0U && !use_engine) return fail("replay: --workers needs --engine");

  const std::string tape_path = args["target"].as<std::string>();
  auto tape = recorder::TapeReader::open(tape_path);
  if (!tape) return fail(tape.error().message);
  const std::string level_name =
      args.count("log-level") != 0U ? args["log-level"].as<std::string>() : (*tape)->header().log_level;
  auto level = nimbus::parse_log_level(level_name);
  if (!level) return fail("replay: --log-level " + level_name + ": expected debug, info, warn or error");
  std::string handler = args.count("handler") != 0U ? args["handler"].as<std::string>() : "";
  auto target =
      resolve_target(args["function"].as<std::string>(), handler, args.count("rebuild") != 0U, true);
  if (!target) return fail(target.error().message);

  auto noise = noise_rules(args, tape_path);
  if (!noise) return fail(noise.error().message);
  replay::TapeReplayOptions o;
  o.tape = tape_path;
  o.config = target->config;
  o.library = target->library;
  o.engine = use_engine;
  o.level = *level;
  o.compare.lenient = args.count("lenient") != 0U;
  o.compare.noise = *noise;
  o.strict = args.count("strict") != 0U;
  o.learn_noise = args.count("learn-noise") != 0U;
  if (args.count("line") != 0U) {
    for (const auto& text : args["line"].as<std::vector<std::string>>()) {
      auto line = parse_int(text, "--line", 1, std::numeric_limits<int>::max());
      if (!line) return fail("replay: " + line.error().message);
      o.only_lines.insert(static_cast<std::size_t>(*line));
    }
  }
  if (use_engine) {
    o.worker.worker_executable = worker_executable();
    set_worker_function(*target, o.worker);
    if (args.count("workers") != 0U) {
      auto n = parse_int(args["workers"].as<std::string>(), "--workers", 1, 1024);
      if (!n) return fail("replay: " + n.error().message);
      o.workers = *n;
    }
  }

  return replay_and_report(o, args, (*tape)->size());
}

int diff_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus diff", "Compare two tapes, record by record.");
  opts.custom_help("<a.ndjson> <b.ndjson> [options]");
  opts.positional_help("");
  opts.add_options()("tapes", "the two tapes", cxxopts::value<std::vector<std::string>>())(
      "json", "also write the report as JSON to this file", cxxopts::value<std::string>())(
      "html", "also write a self-contained HTML report with side-by-side diffs",
      cxxopts::value<std::string>())("color", "colour output: auto, always, never",
                                     cxxopts::value<std::string>()->default_value("auto"))("h,help",
                                                                                           "show this help");
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
  auto noise = noise_rules(args, names[0]);
  if (!noise) return fail(noise.error().message);
  replay::Report report(names[0], names[1], names[0], names[1]);
  if (auto compared = replay::diff_tapes(names[0], names[1], *noise, report); !compared) {
    return fail(compared.error().message);
  }
  report.print(std::cout, color_for(args));
  if (!write_reports(args, report, false)) return kExitError;
  return report.summary().exit_code();
}

}  // namespace nimbus::cli
