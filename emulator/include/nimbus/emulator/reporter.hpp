#pragma once
/// @file
/// How the emulator shows what a function did: human-readable on a
/// terminal, or one JSON object per line.

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/engine/log_sink.hpp"
#include "nimbus/event.hpp"
#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/metrics.hpp"
#include "nimbus/response.hpp"

namespace nimbus::emulator {

/// Output style.
struct ReporterOptions {
  bool json = false;   ///< one JSON object per line instead of text
  bool color = false;  ///< ANSI colours in text mode
  bool quiet = false;  ///< nothing about events and logs (a replay reports them itself); errors still show
  bool live = false;   ///< flush after each event: events arrive while someone watches (triggers, not files)
};

/// Receives the function's log records (it is the context's sink) and the
/// emulator's events, and writes them to `out`; errors also go to `err`.
class Reporter : public LogSink {
 public:
  Reporter(std::ostream& out, std::ostream& err, ReporterOptions options)
      : out_(out), err_(err), o_(options) {}

  /// An event is about to be handled.
  void begin_event(const Event& event, std::string_view origin);
  /// A log record of the current event (or of the init hook).
  void write(const LogRecord& record) override;
  /// The current event's response.
  void end_event(const Response& response, std::chrono::nanoseconds took);
  /// Something could not be run: one line naming what was wrong.
  void error(std::string_view origin, std::string_view message);
  /// A trigger's news, one line on the error stream (and `{"type":"notice"}` in JSON).
  void notice(std::string_view message, bool warning);
  /// The emulator runs the function's own triggers (`triggers`: what each
  /// says of itself, as `nimbus serve`'s ready line): one line, on the
  /// error stream in text mode, `{"type":"ready",...}` on the output in JSON.
  void ready(std::string_view function, const Json& triggers);
  /// The function's metrics (`ctx.metrics()`), after the last event: a line per
  /// series in text mode, `{"type":"metrics","metrics":[...]}` in JSON; nothing when it has none.
  void metrics(const std::vector<MetricSample>& samples);
  /// Also writes every record to `sinks` (function.yaml's spec.logger.sinks, --log-sink), as
  /// `nimbus serve` does, named with `function` and `version`; flushed after each event.
  void also_to(std::vector<std::unique_ptr<engine::LogEntrySink>> sinks, std::string function,
               std::string version);
  /// The totals, after the last event (text mode only).
  void summary(std::size_t ok, std::size_t failed, std::size_t unreadable);

 private:
  std::string paint(std::string_view text, const char* code) const;

  std::ostream& out_;
  std::ostream& err_;
  ReporterOptions o_;
  std::string event_id_;
  std::string origin_;
  std::string scratch_;  // a record's fields as JSON text, reused
  // The sinks records also go to, and what names them.
  void forward(const LogRecord& record);
  void flush_sinks() noexcept;
  std::vector<std::unique_ptr<engine::LogEntrySink>> sinks_;
  std::string function_;
  std::string version_;
  std::string trigger_;
  std::string trigger_kind_;
  std::string trace_id_;
  std::string fields_;
};

}  // namespace nimbus::emulator
