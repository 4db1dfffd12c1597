#pragma once
/// @file
/// One invocation's record as tape text (docs/tape-format.md), written
/// straight from what the function saw and did: the one encoder of the
/// emulator's recorder, the engine's workers, and a replay's "what happened
/// now", so that equal behaviour gives equal text (compared without parsing).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/bindings.hpp"
#include "nimbus/event.hpp"
#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"

namespace nimbus::engine {

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
  void call(const BindingCall& c, std::string_view result_json, const std::string* error);
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

 private:
  // An object of name/value pairs; with `redact`, the redacted headers' values hidden.
  template <class W>
  void pairs(W& w, const auto& pairs, bool redact);
  std::vector<std::string> redacted_headers_;
  std::string event_;
  std::string calls_;
  std::string logs_;
  std::string response_;
  std::string scratch_;              // JSON text of arguments, results, fields
  std::int64_t cached_second_ = -1;  // the timestamp's seconds, formatted
  std::string cached_prefix_;
};

}  // namespace nimbus::engine
