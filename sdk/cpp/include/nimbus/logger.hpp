#pragma once
/// @file
/// `nimbus::Logger`: levelled, structured logging for functions.

#include <fmt/format.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "nimbus/json.hpp"

namespace nimbus {

/// Severity of a log record, lowest first.
enum class LogLevel : std::uint8_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// "debug", "info", "warn" or "error".
std::string_view to_string(LogLevel level) noexcept;
/// Parses a level name (case-insensitive; "warning" is accepted for "warn").
std::optional<LogLevel> parse_log_level(std::string_view name) noexcept;

/// One log record as a sink receives it.
struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  std::string message;
  Json fields = Json::object();  ///< bound fields, then the call's own
  std::chrono::system_clock::time_point time{};
  std::string logger;  ///< the child logger's dotted name; empty for the root
};

/// Where log records go. The host provides one per worker; writes from one
/// worker are never concurrent.
class LogSink {
 public:
  virtual ~LogSink() = default;
  /// Receives one record that passed the logger's level check.
  virtual void write(const LogRecord& record) = 0;
};

/// A structured field value. Holds scalars and strings without copying, so
/// building the fields of a call that the level check discards costs nothing.
class LogValue {
 public:
  // NOLINTBEGIN(google-explicit-constructor): a field value converts implicitly from each field type
  LogValue(std::nullptr_t) {}
  LogValue(bool b) : v_(b) {}
  LogValue(const char* s) : v_(std::string_view(s)) {}
  LogValue(std::string_view s) : v_(s) {}
  LogValue(const std::string& s) : v_(std::string_view(s)) {}
  LogValue(const Json& j) : v_(&j) {}
  template <std::signed_integral I>
  requires(!std::same_as<I, bool>) LogValue(I i) : v_(static_cast<std::int64_t>(i)) {}
  template <std::unsigned_integral U>
  requires(!std::same_as<U, bool>) LogValue(U u) : v_(static_cast<std::uint64_t>(u)) {}
  LogValue(double d) : v_(d) {}
  LogValue(float f) : v_(static_cast<double>(f)) {}
  // NOLINTEND(google-explicit-constructor)

  /// The value as JSON.
  [[nodiscard]] Json to_json() const;

 private:
  std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string_view, const Json*> v_;
};

/// One key/value of a structured log call.
struct LogField {
  std::string_view key;
  LogValue value;
};

/// The fields of a structured log call: `{{"user", id}, {"attempt", 3}}`.
using LogFields = std::initializer_list<LogField>;

/// Writes levelled, structured records to a sink.
///
/// ```cpp
/// auto& log = ctx.logger();
/// log.info("served {} in {} ms", path, ms);              // fmt-style message
/// log.info_with("greeting", {{"name", name}});          // structured fields
/// auto db = log.child("db").bind({{"table", "users"}}); // named child, bound fields
/// if (log.enabled(nimbus::LogLevel::kDebug)) { log.debug("{}", expensive()); }
/// ```
/// A call below the logger's level returns after one comparison.
class Logger {
 public:
  /// A logger that writes records at `level` and above to `sink` (not owned;
  /// it must outlive the logger and its children). A null sink drops everything.
  explicit Logger(LogSink* sink = nullptr, LogLevel level = LogLevel::kInfo) : sink_(sink), level_(level) {}

  /// True when a record at `level` would be written.
  [[nodiscard]] bool enabled(LogLevel level) const noexcept { return sink_ != nullptr && level >= level_; }
  /// The lowest level written.
  [[nodiscard]] LogLevel level() const noexcept { return level_; }
  void set_level(LogLevel level) noexcept { level_ = level; }
  /// Where the level is kept, for a language binding that reads it without a call (the
  /// Python SDK's disabled calls); valid while this logger is.
  [[nodiscard]] const LogLevel& level_ref() const noexcept { return level_; }
  /// Where records go (null: nowhere).
  [[nodiscard]] LogSink* sink() const noexcept { return sink_; }
  /// The dotted name of this logger; empty for the root.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  template <class... Args>
  void debug(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(LogLevel::kDebug))
      write(LogLevel::kDebug, fmt::format(format, std::forward<Args>(args)...), Json::object());
  }
  template <class... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(LogLevel::kInfo))
      write(LogLevel::kInfo, fmt::format(format, std::forward<Args>(args)...), Json::object());
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(LogLevel::kWarn))
      write(LogLevel::kWarn, fmt::format(format, std::forward<Args>(args)...), Json::object());
  }
  template <class... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(LogLevel::kError))
      write(LogLevel::kError, fmt::format(format, std::forward<Args>(args)...), Json::object());
  }

  void debug_with(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::kDebug, message, fields);
  }
  void info_with(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::kInfo, message, fields);
  }
  void warn_with(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::kWarn, message, fields);
  }
  void error_with(std::string_view message, LogFields fields = {}) const {
    log(LogLevel::kError, message, fields);
  }

  /// Writes `message` with `fields` at `level`, if enabled.
  void log(LogLevel level, std::string_view message, LogFields fields = {}) const;
  /// Writes `message` with a JSON object of fields at `level`, if enabled.
  void log(LogLevel level, std::string_view message, const Json& fields) const;

  /// A logger that adds `fields` to every record (and keeps this one's); Python: `logger.bind(**fields)`.
  [[nodiscard]] Logger bind(LogFields fields) const;
  /// A named child: its records carry `<this name>.<name>` and this logger's fields.
  [[nodiscard]] Logger child(std::string_view name) const;

 private:
  void write(LogLevel level, std::string message, Json fields) const;

  LogSink* sink_;
  LogLevel level_;
  std::string name_;
  Json bound_ = Json::object();
};

}  // namespace nimbus
