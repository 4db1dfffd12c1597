#include "log_writer.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>

#include "nimbus/format/log_json.hpp"

namespace nimbus::engine::detail {

void JsonLogWriter::add(const LogEntry& e) {
  format::LogJsonStyle style;
  style.time = true;
  std::array<char, 32> worker{};
  if (e.worker >= 0) {  // a function's record: which worker wrote it (the processor's own have none)
    constexpr std::string_view kWorker = R"("worker":)";
    std::copy(kWorker.begin(), kWorker.end(), worker.begin());
    char* end =
        std::to_chars(worker.data() + kWorker.size(), worker.data() + worker.size() - 1, e.worker).ptr;
    *end++ = ',';
    style.tail = std::string_view(worker.data(), static_cast<std::size_t>(end - worker.data()));
  }
  format::append_log_json(buffer_, {e.level, e.message, e.fields_json, e.logger, e.time}, style);
  buffer_ += '\n';
}

void JsonLogWriter::flush() noexcept {
  std::size_t at = 0;
  while (at < buffer_.size()) {
    ssize_t n = write(fd_, buffer_.data() + at, buffer_.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere to write: the logs are dropped, the events are not
    at += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

}  // namespace nimbus::engine::detail
