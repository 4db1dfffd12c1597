#pragma once
// The console log sink (kind `console`): one line per record (line_format.hpp: JSON by
// default, `format: text` for people) on standard error (`stream: stdout` for standard
// output), buffered and written once per loop iteration.

#include <memory>
#include <string>

#include "line_format.hpp"
#include "nimbus/engine/log_sink.hpp"

namespace nimbus::engine::logging {

class ConsoleSink final : public LogEntrySink {
 public:
  /// Writes to `fd` (not owned).
  explicit ConsoleSink(int fd, LineFormat format = LineFormat::kJson) : fd_(fd), format_(format) {}
  void write(const LogEntry& e) override { append_line(buffer_, e, format_); }
  void flush() noexcept override;

 private:
  int fd_;
  LineFormat format_;
  std::string buffer_;
};

/// The factory registered as `console`.
Result<std::unique_ptr<LogEntrySink>> make_console_sink(const LogSinkSpec& spec);

/// Writes all of `bytes` to `fd`, retrying interrupted and partial writes; false when the
/// descriptor refused (the reader went away, the disk is full).
bool write_all(int fd, std::string_view bytes) noexcept;

}  // namespace nimbus::engine::logging
