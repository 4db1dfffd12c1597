#pragma once
/// @file
/// Log sinks: where the processor writes the function's log records (and its
/// own lines), as they arrive from the workers. Created by kind through an
/// explicit registry: a new kind is one file under `engine/src/logging/` and
/// one line in `register_builtin_log_sinks`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/kind_registry.hpp"
#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// A function's log record as it arrives from a worker. The views are valid
/// during the call only; the fields stay JSON text until someone needs them.
struct LogEntry {
  int worker = 0;  ///< -1 for a record of the processor's own
  LogLevel level = LogLevel::kInfo;
  std::chrono::system_clock::time_point time{};  ///< when the function logged it
  std::string_view message{};
  std::string_view fields_json{};  ///< a JSON object, or empty for none
  std::string_view logger{};       ///< the child logger's name; empty for the root
  std::string_view event_id{};     ///< the event being handled; empty for the init hook's and the processor's
  std::string_view trace_id{};     ///< the W3C trace id of the event's traceparent; empty: none
  // Set by the processor: whose record it is.
  std::string_view function{};      ///< the function's name
  std::string_view version{};       ///< its version (metadata.labels / spec.version)
  std::string_view trigger{};       ///< the trigger that brought the event (its name in function.yaml)
  std::string_view trigger_kind{};  ///< and its kind
  /// Copies it into a `LogRecord`, parsing the fields.
  [[nodiscard]] LogRecord to_record() const;
};

/// Receives log entries on the processor's loop thread; buffers them, and
/// writes them out in `flush`, once per loop iteration. A sink whose
/// destination is gone drops entries (and may count them), never blocks the loop.
class LogEntrySink {
 public:
  LogEntrySink() = default;
  LogEntrySink(const LogEntrySink&) = delete;
  LogEntrySink& operator=(const LogEntrySink&) = delete;
  virtual ~LogEntrySink() = default;
  virtual void write(const LogEntry& entry) = 0;
  virtual void flush() noexcept = 0;
  /// Records it could not deliver (dropped and counted), for /metrics.
  [[nodiscard]] virtual std::uint64_t dropped() const noexcept { return 0; }
};

/// Makes a log sink from its spec.
using LogSinkFactory = std::function<Result<std::unique_ptr<LogEntrySink>>(const LogSinkSpec&)>;

/// Makes log sinks of the kinds registered with it.
class LogSinkRegistry : public KindRegistry<LogSinkFactory> {
 public:
  using Factory = LogSinkFactory;
  /// Makes the sink `spec` describes; an unknown kind is an error naming the kinds there are.
  [[nodiscard]] Result<std::unique_ptr<LogEntrySink>> make(const LogSinkSpec& spec) const noexcept;
};

/// Registers `console` (standard error, or `stream: stdout`), `file` (`path`, rotated at
/// `maxBytes` keeping `maxFiles` old ones) and `http` (batches POSTed to `url` from a thread
/// of its own, dropped and counted when the endpoint is down or slow), each writing `format: json` (one
/// object per line:
/// `{"time","level","message","fields","logger","function","version","worker","trigger",
/// "triggerKind","event","traceId"}`) or `format: text` (a line for people).
void register_builtin_log_sinks(LogSinkRegistry& registry);

/// Parses `--log-sink kind[:name=value,...]` (`console:format=text`,
/// `file:path=logs/f.log,maxBytes=1048576`); a relative path is relative to the current folder.
[[nodiscard]] Result<LogSinkSpec> parse_log_sink_flag(std::string_view flag) noexcept;

}  // namespace nimbus::engine
