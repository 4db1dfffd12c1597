#pragma once
/// @file
/// A log record as a JSON object: the one encoder of tape records' logs,
/// `X-Nimbus-Logs` and `X-Nuclio-Logs`, `nimbus serve`'s log lines and
/// `nimbus run --json`.

#include <chrono>
#include <string>
#include <string_view>

#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/result.hpp"

namespace nimbus::format {

/// A log record's parts as text, wherever it comes from: a `LogRecord` (see
/// `log_line`) or a worker's message, whose fields are already JSON text.
struct LogLine {
  LogLevel level = LogLevel::kInfo;
  std::string_view message;
  std::string_view fields_json;  ///< a JSON object's text; empty or `{}` for none
  std::string_view logger;       ///< the child logger's dotted name; empty for the root
  std::chrono::system_clock::time_point time{};
};

/// `record` as a `LogLine`; its fields' JSON text is written into `scratch`,
/// which must outlive the line.
[[nodiscard]] LogLine log_line(const LogRecord& record, std::string& scratch);

/// Which object a record becomes.
struct LogJsonStyle {
  /// Nimbus's shape: `{"time":…,"level":…,"message":…,"fields":{…},"logger":…}`.
  /// nuclio's (its processor's `X-Nuclio-Logs`, zap's JSON): `{"level":…,
  /// "time":<epoch ms>,"name":…,"message":…,<fields beside them>}`; a field
  /// named like one of those four gets a `_` after its name.
  enum class Shape { kNimbus, kNuclio };
  Shape shape = Shape::kNimbus;
  /// Nimbus's shape only: a `time` member (RFC 3339, milliseconds). Tapes and
  /// `X-Nimbus-Logs` have none, so a replay compares them.
  bool time = false;
  /// Members before the record's own, as text ending in `,`: `"type":"log",`.
  std::string_view lead{};
  /// Members after them, as text ending in `,`: `"worker":0,`.
  std::string_view tail{};
  /// nuclio's shape only: the `name` (the function's name; a child logger's
  /// name follows it after a dot).
  std::string_view name{};
};

/// Appends `line` as one JSON object (no newline).
///
/// ```cpp
/// format::LogJsonStyle style;
/// style.time = true;
/// style.tail = R"("worker":0,)";
/// format::append_log_json(out, format::log_line(record, scratch), style);
/// //
/// {"time":"2026-11-27T16:17:50.699Z","level":"info","message":"greeting","fields":{"name":"Ada"},"worker":0}
/// ```
void append_log_json(std::string& out, const LogLine& line, const LogJsonStyle& style = {});

/// The record `append_log_json` wrote, read back: either shape (nuclio's is
/// told by its `name` or its numeric `time`), from `X-Nimbus-Logs` or
/// `X-Nuclio-Logs` answers. In nuclio's shape the logger is the `name` after
/// the function's (after its first dot), and a field renamed with a `_` gets
/// its own name back. A record without a time gets `received`. An error
/// names the member that is missing or of the wrong type.
[[nodiscard]] Result<LogRecord> parse_log_json(const Json& record,
                                               std::chrono::system_clock::time_point received = {}) noexcept;

}  // namespace nimbus::format
