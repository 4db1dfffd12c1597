#include "console_sink.hpp"

#include <unistd.h>

#include <cerrno>

namespace nimbus::engine::logging {

bool write_all(int fd, std::string_view bytes) noexcept {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

void ConsoleSink::flush() noexcept {
  (void)write_all(fd_, buffer_);  // nowhere to write: the logs are dropped, the events are not
  buffer_.clear();
}

Result<std::unique_ptr<LogEntrySink>> make_console_sink(const LogSinkSpec& spec) {
  const Attributes a{spec.attributes, spec.origin};
  auto stream = string_attribute(a, "stream", "stderr");
  if (!stream) return stream.error();
  if (*stream != "stderr" && *stream != "stdout") {
    return Error{spec.origin + ".stream: expected stderr or stdout, got '" + *stream + "'"};
  }
  auto format = line_format(a);
  if (!format) return format.error();
  return std::unique_ptr<LogEntrySink>(std::make_unique<ConsoleSink>(*stream == "stdout" ? 1 : 2, *format));
}

}  // namespace nimbus::engine::logging
