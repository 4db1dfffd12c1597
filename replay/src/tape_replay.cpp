// A whole tape replayed against a function (in the emulator, or through the
// engine's workers), --learn-noise, and the comparison of two tapes.
#include "nimbus/replay/tape_replay.hpp"

#include <iostream>
#include <memory>
#include <optional>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/emulator/emulator.hpp"
#include "nimbus/format/event_file.hpp"
#include "nimbus/recorder/tape.hpp"
#include "nimbus/replay/engine_replay.hpp"

namespace nimbus::replay {
namespace {

using Sink = std::function<void(RecordResult)>;

// Runs a tape's records against the function, handing each result to a sink in tape order.
class Runner {
 public:
  Runner() = default;
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  virtual ~Runner() = default;
  virtual void run(format::TapeLine record, const Event& event, std::string event_id) = 0;
  virtual void skip(RecordResult result) = 0;  // an unreadable line, in its place
  virtual void finish() = 0;
};

class EmulatorRunner final : public Runner {
 public:
  EmulatorRunner(emulator::Emulator& emu, RecordReplayer& replayer, Sink sink)
      : emu_(emu), replayer_(replayer), sink_(std::move(sink)) {}
  void run(format::TapeLine record, const Event& event, std::string event_id) override {
    replayer_.expect(record);
    emu_.invoke(event, record.where);
    sink_(replayer_.finish(event_id));
  }
  void skip(RecordResult result) override { sink_(std::move(result)); }
  void finish() override {}

 private:
  emulator::Emulator& emu_;
  RecordReplayer& replayer_;
  Sink sink_;
};

class EngineRunner final : public Runner {
 public:
  explicit EngineRunner(std::unique_ptr<EngineReplay> replay) : replay_(std::move(replay)) {}
  void run(format::TapeLine record, const Event& event, std::string event_id) override {
    replay_->add(std::move(record), event, std::move(event_id));
  }
  void skip(RecordResult result) override { replay_->add(std::move(result)); }
  void finish() override { replay_->finish(); }

 private:
  std::unique_ptr<EngineReplay> replay_;
};

// An unreadable tape line, as a result in its place.
RecordResult unreadable(std::size_t line, std::string error) {
  return {line, "", Outcome::kUnreadable, {}, std::move(error), 0};
}

// Feeds every record of `tape` to `runner`; false when `strict` stopped it at a bad line.
bool feed_tape(recorder::TapeReader& tape, Runner& runner, const TapeReplayOptions& o) {
  std::size_t done = 0;
  const auto chosen = [&o](std::size_t line) { return o.only_lines.empty() || o.only_lines.contains(line); };
  while (auto item = tape.next()) {
    if (!chosen(tape.line())) continue;
    if (!*item) {
      runner.skip(unreadable(tape.line(), item->error().message));
      if (o.strict) {
        runner.finish();  // the records before it still count
        return false;
      }
      continue;
    }
    format::TapeLine& record = **item;
    auto data = format::parse_event_text(record.event_value, record.where);
    if (!data) {
      runner.skip(unreadable(record.number, record.where + ": event: " + data.error().message));
      if (o.strict) {
        runner.finish();
        return false;
      }
      continue;
    }
    const detail::EventBuffer event(*data);
    std::string id = data->id;
    runner.run(std::move(record), event.event(), std::move(id));
    if (o.progress) o.progress(++done, tape.bytes_read());
  }
  runner.finish();
  return true;
}

// The engine's pool for a replay: the HTTP trigger's workers by default.
engine::DispatcherOptions replay_pool(const TapeReplayOptions& o) {
  engine::DispatcherOptions d;
  d.num_workers = 1;
  for (const auto& t : o.config.triggers) {
    if (t.kind == "http") {
      d.num_workers = t.num_workers;
      break;
    }
  }
  if (o.workers > 0) d.num_workers = o.workers;
  d.event_timeout = o.config.event_timeout;
  d.worker = o.worker;
  d.worker.log_level = o.level;
  return d;
}

// --learn-noise through the engine: every record twice; what differs between the runs is noise.
Result<std::set<std::string>> learn_in_engine(const TapeReplayOptions& o,
                                              const std::vector<std::string>& redacted) {
  auto r = EngineReplay::start(
      replay_pool(o), o.compare, redacted, [](const RecordResult&) {}, 512, true);
  if (!r) return r.error();
  EngineReplay* learner = r->get();
  auto tape = recorder::TapeReader::open(o.tape);
  if (!tape) return tape.error();
  TapeReplayOptions quiet = o;
  quiet.strict = false;
  quiet.progress = nullptr;
  EngineRunner runner(std::move(*r));
  // The runner owns the replay; its learned paths are read before it goes.
  std::set<std::string> learned;
  feed_tape(**tape, runner, quiet);
  learned.insert(learner->learned().begin(), learner->learned().end());
  return learned;
}

// --learn-noise in the emulator: the same, each record twice in this process.
std::set<std::string> learn_in_emulator(const TapeReplayOptions& o, emulator::Emulator& emu,
                                        RecordReplayer& replayer) {
  std::set<std::string> learned;
  auto tape = recorder::TapeReader::open(o.tape);
  if (!tape) return learned;
  while (auto item = (*tape)->next()) {
    if (!*item || (!o.only_lines.empty() && !o.only_lines.contains((*tape)->line()))) continue;
    auto data = format::parse_event_text((*item)->event_value, "tape");
    if (!data) continue;
    const detail::EventBuffer event(*data);
    std::optional<format::TapeRecord> first;
    for (int run = 0; run < 2; ++run) {
      replayer.expect(**item);
      emu.invoke(event.event(), o.tape.string());
      auto actual = replayer.actual();
      (void)replayer.finish(data->id);
      if (!actual) break;  // nothing to learn from a record that is not one; the replay reports it
      if (run == 0) {
        first = std::move(*actual);
      } else {
        for (auto& path : NoiseRules::learn(*first, *actual)) learned.insert(path);
      }
    }
  }
  return learned;
}

Result<TapeReplayOutcome> replay_or_throw(const TapeReplayOptions& o, Report& report) {
  auto tape = recorder::TapeReader::open(o.tape);
  if (!tape) return tape.error();
  const std::vector<std::string> redacted = (*tape)->header().redacted_headers;
  TapeReplayOutcome outcome;
  auto to_report = [&report](RecordResult r) { report.add(std::move(r)); };

  std::unique_ptr<Runner> runner;
  RecordReplayer replayer(o.compare, redacted);
  std::unique_ptr<emulator::Emulator> emu;
  emulator::ReporterOptions silent;
  silent.quiet = true;
  emulator::Reporter reporter(std::cout, std::cerr, silent);  // the replay reports, not the emulator
  if (o.engine) {
    if (o.learn_noise) {
      auto learned = learn_in_engine(o, redacted);
      if (!learned) return learned.error();
      outcome.learned = std::move(*learned);
    }
    CompareOptions compare = o.compare;
    compare.noise.paths.insert(compare.noise.paths.end(), outcome.learned.begin(), outcome.learned.end());
    auto r = EngineReplay::start(replay_pool(o), compare, redacted, to_report);
    if (!r) return r.error();
    runner = std::make_unique<EngineRunner>(std::move(*r));
  } else {
    emulator::EmulatorOptions options;
    options.log_level = o.level;
    options.tap = &replayer;
    auto created = emulator::Emulator::create(o.config, o.library, options, reporter);
    if (!created) return created.error();
    emu = std::move(*created);
    if (o.learn_noise) outcome.learned = learn_in_emulator(o, *emu, replayer);
    NoiseRules rules = o.compare.noise;
    rules.paths.insert(rules.paths.end(), outcome.learned.begin(), outcome.learned.end());
    replayer.set_noise(std::move(rules));
    runner = std::make_unique<EmulatorRunner>(*emu, replayer, to_report);
  }
  for (const auto& path : outcome.learned) std::cerr << "nimbus: learned noise: " << path << '\n';
  outcome.stopped = !feed_tape(**tape, *runner, o);
  runner.reset();  // finishes what is in flight
  return outcome;
}

}  // namespace

Result<TapeReplayOutcome> replay_tape(const TapeReplayOptions& options, Report& report) noexcept {
  try {
    return replay_or_throw(options, report);
  } catch (const std::exception& e) {
    return Error{options.tape.string() + ": replay: " + e.what()};
  }
}

Result<void> diff_tapes(const std::filesystem::path& a_path, const std::filesystem::path& b_path,
                        const NoiseRules& noise, Report& report) noexcept {
  try {
    auto a = recorder::TapeReader::open(a_path);
    if (!a) return a.error();
    auto b = recorder::TapeReader::open(b_path);
    if (!b) return b.error();
    const std::string a_name = a_path.string();
    const std::string b_name = b_path.string();
    for (;;) {
      auto x = (*a)->next();
      auto y = (*b)->next();
      if (!x && !y) break;
      const std::size_t line = (*a)->line();
      if (!x || !y) {  // one tape is longer
        const std::string where =
            x ? a_name + ":" + std::to_string((*a)->line()) : b_name + ":" + std::to_string((*b)->line());
        report.add(unreadable(line, where + ": only in " + (x ? a_name : b_name)));
        continue;
      }
      if (!*x || !*y) {
        report.add(unreadable(line, (!*x ? x->error() : y->error()).message));
        continue;
      }
      auto first = (**x).parse();
      auto second = (**y).parse();
      if (!first || !second) {
        report.add(unreadable(line, (!first ? first.error() : second.error()).message));
        continue;
      }
      auto result = compare_records(*first, *second, line, noise);
      result.event_id = first->event.value("id", "");
      report.add(std::move(result));
    }
    return {};
  } catch (const std::exception& e) {
    return Error{"diff: " + std::string(e.what())};
  }
}

}  // namespace nimbus::replay
