#pragma once
/// @file
/// Replay: feeds a tape's events to a function, answers its binding calls
/// from the tape, and compares what it does with what the tape recorded.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "nimbus/engine/call_script.hpp"
#include "nimbus/engine/tap.hpp"
#include "nimbus/recorder/tape.hpp"

namespace nimbus::replay {

/// How a record's replay came out.
enum class Outcome {
  kPassed,      ///< the same response, logs and binding calls
  kChanged,     ///< something differs
  kUnreadable,  ///< the tape line could not be read
};

/// What is not a difference: fields that change from run to run by nature
/// (ids, timestamps). From `replay.yaml` beside the tape, the command line,
/// or `--learn-noise`.
struct NoiseRules {
  std::vector<std::string> headers;     ///< response header names (any case)
  std::vector<std::string> paths;       ///< JSON pointers into a record, `*` for any key or index:
                                        ///< `/response/body/id`, `/logs/*/fields/took_ms`, `/calls/*/result`
  std::vector<std::string> log_fields;  ///< log field names, in every log record
  std::vector<std::string> masks;       ///< regular expressions; matching text becomes `<masked>`
  [[nodiscard]] bool empty() const noexcept {
    return headers.empty() && paths.empty() && log_fields.empty() && masks.empty();
  }
  /// Reads a replay.yaml: `{ignoreHeaders: [..], ignorePaths: [..], ignoreLogFields: [..], masks: [..]}`.
  static Result<NoiseRules> load(const std::filesystem::path& file) noexcept;
  /// The same from its text; `origin` names it in errors.
  static Result<NoiseRules> parse(std::string_view yaml, const std::string& origin) noexcept;
  /// Checks one mask: a regular expression std::regex compiles within bounds
  /// (a repetition like `{999999}` would exhaust the stack compiling it). The
  /// error says what is wrong, after `what` (`--mask x`, `replay.yaml: masks: 'x'`).
  static Result<void> check_mask(const std::string& mask, const std::string& what) noexcept;
  /// The paths where two records differ (array indices as `*`), to ignore.
  static std::vector<std::string> learn(const format::TapeRecord& a, const format::TapeRecord& b);
};

/// One difference in one part of a record.
struct Difference {
  std::string part;      ///< "response", "logs" or "calls"
  std::string expected;  ///< the recorded part, as indented JSON
  std::string actual;    ///< what the replay did, the same way
};

/// The result for one record.
struct RecordResult {
  std::size_t line = 0;  ///< on the tape
  std::string event_id;
  Outcome outcome = Outcome::kPassed;
  std::vector<Difference> differences;
  std::string error;  ///< for an unreadable record
  double duration_ms = 0;
  bool noise_ignored = false;  ///< it passed only because noise rules hid differences
};

/// What a replay compares and how it treats a call the tape lacks.
struct CompareOptions {
  /// A binding call the tape does not have: false (strict) fails it with an
  /// error (and the record shows the difference); true lets the configured
  /// (fallback) binding answer it.
  bool lenient = false;
  NoiseRules noise;
};

/// The tap that replays one record at a time in the emulator: set the
/// record, run its event through the function, then `finish`.
class RecordReplayer final : public engine::InvocationTap {
 public:
  /// `redacted_headers`: the tape's (its header says), hidden the same way in what happens now.
  RecordReplayer(CompareOptions options, std::vector<std::string> redacted_headers)
      : o_(std::move(options)), actual_(std::move(redacted_headers)) {}

  /// The record whose event is about to run; it must outlive `finish`.
  void expect(const format::TapeLine& record);
  /// Compares what happened with the record.
  RecordResult finish(std::string_view event_id);
  /// What happened, as a record (after `end`).
  [[nodiscard]] Result<format::TapeRecord> actual() const { return format::to_record(actual_, duration_ms_); }
  /// Replaces the noise rules (after learning them).
  void set_noise(NoiseRules noise) { o_.noise = std::move(noise); }

  void begin(const Event& event) override;
  void log(const LogRecord& record) override;
  void end(const Response& response, std::chrono::nanoseconds took) override;
  std::optional<Json> answer(const detail::BindingCall& call) override;
  void completed(const detail::BindingCall& call, std::string_view result, const std::string* error) override;

 private:
  CompareOptions o_;
  const format::TapeLine* expected_ = nullptr;
  engine::CallScript script_;
  format::RecordText actual_;
  double duration_ms_ = 0;
};

/// Compares a recorded line with what happened now: as text first (the
/// usual case, equal, costs no parsing), as JSON values when the text differs.
RecordResult compare_line(const format::TapeLine& expected, const format::RecordText& actual,
                          double duration_ms, std::string_view event_id, const NoiseRules& noise);

/// Compares two JSON parts; a response body that holds JSON on both sides is
/// compared as JSON (key order and spacing do not matter).
std::optional<Difference> compare_part(const std::string& part, const Json& expected, const Json& actual);

/// Compares two records (for `nimbus diff`), ignoring `noise`. A record
/// whose only differences are noise passes, with `noise_ignored` set.
RecordResult compare_records(const format::TapeRecord& a, const format::TapeRecord& b, std::size_t line,
                             const NoiseRules& noise = {});

/// One line of an edit script: kept ('='), only in the expected text ('-'),
/// or only in the actual one ('+').
struct DiffLine {
  char kind = '=';
  std::string text;
};
/// The edit script that turns `expected` into `actual`, line by line.
std::vector<DiffLine> diff_lines(const std::string& expected, const std::string& actual);

/// A unified diff of two texts, line by line, with `context` lines around
/// each change; empty when they are equal.
std::string unified_diff(const std::string& expected, const std::string& actual, const std::string& from,
                         const std::string& to, std::size_t context = 3);

/// Totals of a replay.
struct Summary {
  std::size_t passed = 0;
  std::size_t changed = 0;
  std::size_t unreadable = 0;
  std::size_t noise_ignored = 0;  ///< passed records that differed only in noise
  [[nodiscard]] int exit_code() const noexcept { return changed + unreadable == 0 ? 0 : 1; }
};

}  // namespace nimbus::replay

namespace nimbus::replay {

/// Where a replay's findings go: the terminal, and optional report files.
/// Results come one at a time; only changed and unreadable ones are kept.
class Report {
 public:
  /// `from`/`to` label the two sides in diffs ("recorded"/"replayed", or two tapes' names).
  Report(std::string tape, std::string against, std::string from = "recorded", std::string to = "replayed")
      : tape_(std::move(tape)), against_(std::move(against)), from_(std::move(from)), to_(std::move(to)) {}
  void add(RecordResult result);
  [[nodiscard]] const Summary& summary() const noexcept { return summary_; }
  /// The summary and a unified diff of every change.
  void print(std::ostream& out, bool color) const;
  /// The whole report as JSON (`--json`).
  [[nodiscard]] Json to_json(bool stopped_early) const;
  /// Keeps passed records too, for a JUnit report (one test case per record).
  void keep_passed() noexcept { keep_passed_ = true; }
  /// JUnit XML (`--junit`): one test case per record; a change is a failure
  /// holding its diffs, an unreadable line an error.
  void write_junit(std::ostream& out) const;
  /// One self-contained HTML page (`--html`): the summary, then every change
  /// as side-by-side diffs of its response, logs and binding calls.
  void write_html(std::ostream& out) const;

 private:
  std::string tape_;
  std::string against_;
  std::string from_;
  std::string to_;
  Summary summary_;
  std::vector<RecordResult> findings_;  // in tape order; passed ones only with keep_passed()
  bool keep_passed_ = false;
};

}  // namespace nimbus::replay
