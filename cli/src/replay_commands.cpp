// nimbus replay and nimbus diff.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "nimbus/emulator/emulator.hpp"
#include "nimbus/format/event_file.hpp"
#include "nimbus/recorder/tape.hpp"
#include "nimbus/replay/engine_replay.hpp"
#include "nimbus/replay/replayer.hpp"
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

// Runs a tape's records against the function, in the emulator or through the
// engine, handing each result to `sink` in tape order.
class Runner {
 public:
  Runner() = default;
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  virtual ~Runner() = default;
  virtual void run(format::TapeLine record, const Event& event, std::string event_id) = 0;
  virtual void skip(replay::RecordResult result) = 0;  // an unreadable line, in its place
  virtual void finish() = 0;
};

class EmulatorRunner final : public Runner {
 public:
  EmulatorRunner(emulator::Emulator& emu, replay::RecordReplayer& replayer,
                 std::function<void(replay::RecordResult)> sink)
      : emu_(emu), replayer_(replayer), sink_(std::move(sink)) {}
  void run(format::TapeLine record, const Event& event, std::string event_id) override {
    replayer_.expect(record);
    emu_.invoke(event, record.where);
    sink_(replayer_.finish(event_id));
  }
  void skip(replay::RecordResult result) override { sink_(std::move(result)); }
  void finish() override {}

 private:
  emulator::Emulator& emu_;
  replay::RecordReplayer& replayer_;
  std::function<void(replay::RecordResult)> sink_;
};

class EngineRunner final : public Runner {
 public:
  explicit EngineRunner(std::unique_ptr<replay::EngineReplay> replay) : replay_(std::move(replay)) {}
  void run(format::TapeLine record, const Event& event, std::string event_id) override {
    replay_->add(std::move(record), event, std::move(event_id));
  }
  void skip(replay::RecordResult result) override { replay_->add(std::move(result)); }
  void finish() override { replay_->finish(); }

 private:
  std::unique_ptr<replay::EngineReplay> replay_;
};

// Feeds every record of the tape at `path` to `runner`; false when --strict stopped it at a bad line.
bool feed_tape(recorder::TapeReader& tape, Runner& runner, bool strict, Progress* progress) {
  std::size_t done = 0;
  while (auto item = tape.next()) {
    if (!*item) {
      runner.skip({tape.line(), "", replay::Outcome::kUnreadable, {}, item->error().message, 0});
      if (strict) {
        runner.finish();  // the records before it still count
        return false;
      }
      continue;
    }
    format::TapeLine& record = **item;
    auto data = format::parse_event_text(record.event_value, record.where);
    if (!data) {
      runner.skip({record.number,
                   "",
                   replay::Outcome::kUnreadable,
                   {},
                   record.where + ": event: " + data.error().message,
                   0});
      if (strict) {
        runner.finish();  // the records before it still count
        return false;
      }
      continue;
    }
    EventBuffer event(*data);
    std::string id = data->id;
    runner.run(std::move(record), event.event(), std::move(id));
    if (progress != nullptr) progress->update(++done, tape.bytes_read());
  }
  runner.finish();
  return true;
}

}  // namespace

int replay_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus replay", "Replay a tape against a function and show what changed.");
  opts.custom_help("<tape.ndjson> --function <function.yaml | lib.so> [options]");
  opts.positional_help("");
  opts.add_options()("target", "the tape", cxxopts::value<std::string>())(
      "function", "function.yaml or a function's .so to replay against", cxxopts::value<std::string>())(
      "engine", "replay through the shared-memory engine (worker processes, as nimbus serve runs them)")(
      "workers", "with --engine: worker count (default: the http trigger's numWorkers)",
      cxxopts::value<std::string>())(
      "lenient", "let the function's configured bindings answer calls the tape does not have")(
      "strict", "stop at the first unreadable tape line (exit 2)")(
      "json", "also write the report as JSON to this file", cxxopts::value<std::string>())(
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
  replay::CompareOptions compare;
  compare.lenient = args.count("lenient") != 0U;
  compare.noise = *noise;
  const std::vector<std::string> redacted = (*tape)->header().redacted_headers;
  const bool strict = args.count("strict") != 0U;
  const bool learn = args.count("learn-noise") != 0U;

  replay::Report report(tape_path, args["function"].as<std::string>());
  if (args.count("junit") != 0U) report.keep_passed();
  auto to_report = [&](replay::RecordResult r) { report.add(std::move(r)); };
  std::set<std::string> learned;

  // The runner: the emulator, or the engine's workers.
  std::unique_ptr<Runner> runner;
  std::unique_ptr<Runner> learner;  // --learn-noise: every record twice, first
  replay::RecordReplayer replayer(compare, redacted);
  std::unique_ptr<emulator::Emulator> emu;
  emulator::ReporterOptions silent;
  silent.quiet = true;
  emulator::Reporter reporter(std::cout, std::cerr, silent);  // the replay reports, not the emulator
  if (use_engine) {
    engine::DispatcherOptions d;
    d.num_workers = 1;
    for (const auto& t : target->config.triggers) {
      if (t.kind == "http") d.num_workers = t.num_workers;
    }
    if (args.count("workers") != 0U) {
      auto n = parse_int(args["workers"].as<std::string>(), "--workers", 1, 1024);
      if (!n) return fail("replay: " + n.error().message);
      d.num_workers = *n;
    }
    d.event_timeout = target->config.event_timeout;
    d.worker.worker_executable = worker_executable();
    set_worker_function(*target, d.worker);
    d.worker.log_level = *level;
    if (learn) {
      auto r = replay::EngineReplay::start(
          d, compare, redacted, [](const replay::RecordResult&) {}, 512, true);
      if (!r) return fail(r.error().message);
      replay::EngineReplay* raw = r->get();
      learner = std::make_unique<EngineRunner>(std::move(*r));
      auto again = recorder::TapeReader::open(tape_path);
      if (!again) return fail(again.error().message);
      feed_tape(**again, *learner, false, nullptr);
      learned.insert(raw->learned().begin(), raw->learned().end());
      learner.reset();
    }
    replay::CompareOptions with_learned = compare;
    with_learned.noise.paths.insert(with_learned.noise.paths.end(), learned.begin(), learned.end());
    auto r = replay::EngineReplay::start(d, with_learned, redacted, to_report);
    if (!r) return fail(r.error().message);
    runner = std::make_unique<EngineRunner>(std::move(*r));
  } else {
    emulator::EmulatorOptions options;
    options.log_level = *level;
    options.tap = &replayer;
    auto created = emulator::Emulator::create(target->config, target->library, options, reporter);
    if (!created) return fail(created.error().message);
    emu = std::move(*created);
    if (learn) {
      // Every record twice against this build: whatever differs between the two runs is noise.
      auto again = recorder::TapeReader::open(tape_path);
      if (!again) return fail(again.error().message);
      while (auto item = (*again)->next()) {
        if (!*item) continue;
        auto data = format::parse_event_text((*item)->event_value, "tape");
        if (!data) continue;
        EventBuffer event(*data);
        std::optional<format::TapeRecord> first;
        for (int run = 0; run < 2; ++run) {
          replayer.expect(**item);
          emu->invoke(event.event(), tape_path);
          auto actual = replayer.actual();
          if (!actual) {
            (void)replayer.finish(data->id);
            break;  // nothing to learn from a record that is not one; the replay reports it
          }
          if (run == 0) {
            first = std::move(*actual);
          } else {
            for (auto& path : replay::NoiseRules::learn(*first, *actual)) learned.insert(path);
          }
          (void)replayer.finish(data->id);
        }
      }
    }
    replay::NoiseRules rules = compare.noise;
    rules.paths.insert(rules.paths.end(), learned.begin(), learned.end());
    replayer.set_noise(std::move(rules));
    runner = std::make_unique<EmulatorRunner>(*emu, replayer, to_report);
  }
  for (const auto& path : learned) std::cerr << "nimbus: learned noise: " << path << '\n';

  bool stopped = false;
  {
    Progress progress(isatty(STDERR_FILENO) != 0, (*tape)->size());
    stopped = !feed_tape(**tape, *runner, strict, &progress);
    runner.reset();  // finishes what is in flight
    progress.done();
  }
  report.print(std::cout, color_for(args));
  if (stopped) std::cerr << "nimbus: replay stopped at an unreadable tape line (--strict)\n";
  if (!write_reports(args, report, stopped)) return kExitError;
  if (stopped) return kExitError;
  return report.summary().exit_code();
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
  auto a = recorder::TapeReader::open(names[0]);
  if (!a) return fail(a.error().message);
  auto b = recorder::TapeReader::open(names[1]);
  if (!b) return fail(b.error().message);
  auto noise = noise_rules(args, names[0]);
  if (!noise) return fail(noise.error().message);
  replay::Report report(names[0], names[1], names[0], names[1]);
  for (;;) {
    auto x = (*a)->next();
    auto y = (*b)->next();
    if (!x && !y) break;
    const std::size_t line = (*a)->line();
    if (!x || !y) {  // one tape is longer
      std::string where =
          x ? names[0] + ":" + std::to_string((*a)->line()) : names[1] + ":" + std::to_string((*b)->line());
      report.add(
          {line, "", replay::Outcome::kUnreadable, {}, where + ": only in " + (x ? names[0] : names[1]), 0});
      continue;
    }
    if (!*x || !*y) {
      report.add({line, "", replay::Outcome::kUnreadable, {}, (!*x ? x->error() : y->error()).message, 0});
      continue;
    }
    auto first = (**x).parse();
    auto second = (**y).parse();
    if (!first || !second) {
      report.add(
          {line, "", replay::Outcome::kUnreadable, {}, (!first ? first.error() : second.error()).message, 0});
      continue;
    }
    auto result = replay::compare_records(*first, *second, line, *noise);
    result.event_id = first->event.value("id", "");
    report.add(std::move(result));
  }
  report.print(std::cout, color_for(args));
  if (!write_reports(args, report, false)) return kExitError;
  return report.summary().exit_code();
}

}  // namespace nimbus::cli
