#include "console_sink.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

#include "nimbus/format/log_json.hpp"

namespace nimbus::engine::logging {

void ConsoleSink::write(const LogEntry& e) {
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

void ConsoleSink::flush() noexcept {
  std::size_t at = 0;
  while (at < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + at, buffer_.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere to write: the logs are dropped, the events are not
    at += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

Result<std::unique_ptr<LogEntrySink>> make_console_sink(const LogSinkSpec& spec) {
  std::string stream = "stderr";
  if (auto it = spec.attributes.find("stream"); it != spec.attributes.end()) {
    if (!it->is_string()) return Error{spec.origin + ": stream: expected stderr or stdout"};
    stream = it->get<std::string>();
  }
  if (stream != "stderr" && stream != "stdout") {
    return Error{spec.origin + ": stream: expected stderr or stdout, got '" + stream + "'"};
  }
  return std::unique_ptr<LogEntrySink>(std::make_unique<ConsoleSink>(stream == "stdout" ? 1 : 2));
}

}  // namespace nimbus::engine::logging
