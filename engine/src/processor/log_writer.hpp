#pragma once
// Function logs as JSON lines, buffered and written once per loop iteration:
// {"time":"2026-11-27T16:17:50.699Z","level":"info","worker":0,"message":"...","fields":{...},"logger":"..."}
// The fields arrive as JSON text from the worker and are copied, not re-parsed.

#include <chrono>
#include <string>
#include <string_view>

#include "nimbus/engine/dispatcher.hpp"
#include "nimbus/engine/encoding.hpp"

namespace nimbus::engine::detail {

class JsonLogWriter {
 public:
  /// Writes to `fd` (not owned).
  explicit JsonLogWriter(int fd) : fd_(fd) {}
  /// Formats one record into the buffer.
  void add(const LogEntry& e);
  /// Writes the buffer out.
  void flush() noexcept;
  /// The buffered text (for tests).
  [[nodiscard]] const std::string& buffered() const noexcept { return buffer_; }

 private:
  int fd_;
  std::string buffer_;
  std::chrono::sys_seconds cached_second_{};
  std::string cached_prefix_;  // "2026-11-27T16:17:50" of cached_second_
};

}  // namespace nimbus::engine::detail
