#pragma once
// The console log sink (kind `console`): one JSON object per line,
// {"time":"2026-11-27T16:17:50.699Z","level":"info","message":"...","fields":{...},"logger":"...","worker":0},
// buffered and written once per loop iteration. The fields arrive as JSON text
// from the worker and are copied, not re-parsed.

#include <memory>
#include <string>

#include "nimbus/engine/log_sink.hpp"

namespace nimbus::engine::logging {

class ConsoleSink final : public LogEntrySink {
 public:
  /// Writes to `fd` (not owned).
  explicit ConsoleSink(int fd) : fd_(fd) {}
  void write(const LogEntry& e) override;
  void flush() noexcept override;

 private:
  int fd_;
  std::string buffer_;
};

/// The factory registered as `console`.
Result<std::unique_ptr<LogEntrySink>> make_console_sink(const LogSinkSpec& spec);

}  // namespace nimbus::engine::logging
