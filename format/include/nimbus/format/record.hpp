#pragma once
/// @file
/// One invocation's record as a tape line (docs/tape-format.md): written
/// straight from what the function saw and did (`RecordText`, the one encoder
/// of the emulator's recorder, the engine's workers and a replay's "what
/// happened now", so that equal behaviour gives equal text, compared without
/// parsing), read in place (`TapeLine`), and as JSON values (`TapeRecord`).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/bindings.hpp"
#include "nimbus/event.hpp"
#include "nimbus/format/json_text.hpp"
#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::format {

/// The text that stands in a tape where a value was redacted.
inline constexpr const char* kRedacted = "[REDACTED]";

/// A record's parts as JSON text: the event and response objects, and the
/// calls' and log records' array items without the brackets.
struct RecordParts {
  std::string_view event;
  std::string_view calls;
  std::string_view logs;
  std::string_view response;
};

/// Appends a whole tape line (no newline) from its parts: `{"seq":N` and
/// what `append_record_rest` writes.
void append_record_line(std::string& out, std::uint64_t seq, const RecordParts& parts, double duration_ms);
/// Appends a tape line's text after its `seq` member, which the engine's
/// workers write: `,"event":…,"calls":[…],"logs":[…],"response":…,"timing":{"durationMs":…}}`.
void append_record_rest(std::string& out, const RecordParts& parts, double duration_ms);
/// The parts inside such a text, given their sizes; nothing when it is not
/// one (a literal out of place, sizes that do not add up).
std::optional<RecordParts> record_parts_in(std::string_view rest, std::size_t event_size,
                                           std::size_t calls_size, std::size_t logs_size,
                                           std::size_t response_size) noexcept;

/// Builds a record's parts, one invocation at a time.
class RecordText {
 public:
  /// `redacted_headers`: header names (any case) written as "[REDACTED]".
  explicit RecordText(std::vector<std::string> redacted_headers = {})
      : redacted_headers_(std::move(redacted_headers)) {}
  /// Empties every part (keeping their memory) for the next invocation.
  void clear() noexcept;

  /// The event, as an event file object (`nimbus run --event` reads it back).
  void event(const Event& e);
  /// Appends a binding call; `arguments_json` and `result_json` are JSON
  /// text, `error` the message it failed with.
  void call(std::string_view binding, std::string_view operation, std::string_view arguments_json,
            std::string_view result_json, std::optional<std::string_view> error);
  void call(const detail::BindingCall& c, std::string_view result_json, const std::string* error);
  /// Appends a log record (without its time); `fields_json`: a JSON object's text or empty.
  void log(LogLevel level, std::string_view message, std::string_view fields_json, std::string_view logger);
  void log(const LogRecord& r);
  /// The response; text bodies as text, others in base64.
  void response(const Response& r);
  /// Takes every part from `parts` (a record another encoder wrote).
  void assign(const RecordParts& parts);

  [[nodiscard]] std::string_view event_json() const noexcept { return event_; }
  /// The calls and logs arrays' items, without the brackets.
  [[nodiscard]] std::string_view call_items() const noexcept { return calls_; }
  [[nodiscard]] std::string_view log_items() const noexcept { return logs_; }
  [[nodiscard]] std::string_view response_json() const noexcept { return response_; }
  /// The parts; an event never set (one that could not be read) as `{}`, which keeps the line whole.
  [[nodiscard]] RecordParts parts() const noexcept {
    return {event_.empty() ? std::string_view("{}") : std::string_view(event_), calls_, logs_, response_};
  }
  /// The header names whose values it hides.
  [[nodiscard]] const std::vector<std::string>& redacted_headers() const noexcept {
    return redacted_headers_;
  }

 private:
  std::vector<std::string> redacted_headers_;
  std::string event_;
  std::string calls_;
  std::string logs_;
  std::string response_;
  std::string scratch_;  // JSON text of fields
};

/// Appends a response's members (`"status":…,"contentType":…,"headers":{…},"body":…,`,
/// each followed by a comma) as a record writes them; `redacted_headers` hidden.
/// For writers of other objects that hold a response (`nimbus run --json`).
void append_response_members(std::string& out, const Response& r,
                             const std::vector<std::string>& redacted_headers = {});

/// One invocation as JSON values: the event, the binding calls and log
/// records in order, the response, and how long the handler took. For
/// comparing and reporting; tapes are written and read as text.
struct TapeRecord {
  std::uint64_t seq = 0;
  Json event = Json::object();     ///< an event file object (docs/event-files.md)
  Json calls = Json::array();      ///< [{binding, operation, arguments, result | error}]
  Json logs = Json::array();       ///< [{level, message, fields, logger}]
  Json response = Json::object();  ///< {status, contentType, headers, body | bodyBase64}
  double duration_ms = 0;
  [[nodiscard]] Json to_json() const;
};

/// The parts as JSON values; an error when one is not JSON (a worker's
/// record that was damaged on the way).
[[nodiscard]] Result<TapeRecord> to_record(const RecordText& text, double duration_ms) noexcept;

/// A record as read from a tape: its text, and where its parts are in it.
/// Parts are parsed only when asked for, so a replay whose results match
/// compares text with text.
struct TapeLine {
  struct Span {
    std::size_t at = 0;
    std::size_t size = 0;
  };
  std::size_t number = 0;  ///< the line number on the tape
  std::string where;       ///< "tape.ndjson:12", for messages
  std::string text;
  Span event, calls, logs, response;  ///< calls and logs are empty when absent
  /// The event object, read in place while the line was scanned (views into
  /// `text`, whose buffer a move keeps: a line is never short enough to be
  /// stored inline). A line is moved, never copied.
  JsonText event_value;
  TapeLine() = default;
  TapeLine(TapeLine&&) noexcept = default;
  TapeLine& operator=(TapeLine&&) noexcept = default;
  TapeLine(const TapeLine&) = delete;
  TapeLine& operator=(const TapeLine&) = delete;
  ~TapeLine() = default;
  [[nodiscard]] std::string_view part(Span s) const noexcept {
    return std::string_view(text).substr(s.at, s.size);
  }
  /// The calls array's text ("[]" when absent).
  [[nodiscard]] std::string_view calls_json() const noexcept { return calls.size == 0 ? "[]" : part(calls); }
  /// Every part as JSON values; an error naming the line when one is not valid.
  [[nodiscard]] Result<TapeRecord> parse() const noexcept;
};

/// Reads a record line in place (`JsonText`): checks that it is one JSON
/// object with an `event` and a `response` object, and `calls` and `logs`
/// arrays when present. Errors start with `where`: "tape.ndjson:3:
/// truncated or corrupt record: …".
[[nodiscard]] Result<TapeLine> read_record_line(std::string text, std::size_t number,
                                                std::string where) noexcept;

}  // namespace nimbus::format
