#include "log_writer.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

namespace nimbus::engine::detail {

void JsonLogWriter::add(const LogEntry& e) {
  auto second = std::chrono::floor<std::chrono::seconds>(e.time);
  if (second != cached_second_ || cached_prefix_.empty()) {
    cached_second_ = second;
    cached_prefix_ = fmt::format("{:%FT%T}", second);
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(e.time - second).count();
  auto out = std::back_inserter(buffer_);
  fmt::format_to(out, R"({{"time":"{}.{:03}Z","level":"{}","worker":{},"message":)", cached_prefix_, ms,
                 to_string(e.level), e.worker);
  engine::append_json_string(buffer_, e.message);
  if (!e.fields_json.empty() && e.fields_json != "{}") {
    buffer_ += R"(,"fields":)";
    buffer_ += e.fields_json;
  }
  if (!e.logger.empty()) {
    buffer_ += R"(,"logger":)";
    engine::append_json_string(buffer_, e.logger);
  }
  buffer_ += "}\n";
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
