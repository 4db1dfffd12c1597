#pragma once
// Function logs as JSON lines, buffered and written once per loop iteration:
// {"time":"2026-11-27T16:17:50.699Z","level":"info","message":"...","fields":{...},"logger":"...","worker":0}
// The fields arrive as JSON text from the worker and are copied, not re-parsed.

#include <chrono>
#include <string>
#include <string_view>

#include "nimbus/engine/dispatcher.hpp"

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
};

}  // namespace nimbus::engine::detail
