#include "nimbus/recorder/tape.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>

#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::recorder {

using namespace std::literals;
namespace {

Result<TapeHeader> header_from_json(const Json& j) {
  if (!j.is_object() || !j.contains("nimbusTape") || !j["nimbusTape"].is_number_integer()) {
    return Error{"not a Nimbus tape: its first line has no \"nimbusTape\" format number"};
  }
  TapeHeader h;
  h.format = j["nimbusTape"].get<int>();
  if (h.format > kTapeFormat) {
    return Error{"tape format " + std::to_string(h.format) + " is newer than this nimbus reads (" +
                 std::to_string(kTapeFormat) + "); replay it with a newer nimbus"};
  }
  if (h.format < 1) return Error{"tape format " + std::to_string(h.format) + " is not a format"};
  auto text = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  };
  if (j.contains("function") && j["function"].is_object()) {
    const Json& f = j["function"];
    if (f.contains("name") && f["name"].is_string()) h.function_name = f["name"].get<std::string>();
    if (f.contains("version") && f["version"].is_string())
      h.function_version = f["version"].get<std::string>();
  }
  h.created = text("created");
  if (j.contains("logLevel")) {
    if (!j["logLevel"].is_string() || !parse_log_level(j["logLevel"].get<std::string>())) {
      return Error{"logLevel: expected debug, info, warn or error"};
    }
    h.log_level = j["logLevel"].get<std::string>();
  }
  h.source = text("source");
  if (j.contains("redactedHeaders") && j["redactedHeaders"].is_array()) {
    for (const auto& name : j["redactedHeaders"]) {
      if (name.is_string()) h.redacted_headers.push_back(name.get<std::string>());
    }
  }
  return h;
}

}  // namespace

Json TapeHeader::to_json() const {
  return Json{{"nimbusTape", format}, {"function", {{"name", function_name}, {"version", function_version}}},
              {"created", created},   {"logLevel", log_level},
              {"source", source},     {"redactedHeaders", redacted_headers}};
}

// --- writing ---------------------------------------------------------------

void redact_secrets(std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    std::string escaped;
    detail::append_json_string(escaped, secret);
    const std::string_view needle = std::string_view(escaped).substr(1, escaped.size() - 2);
    if (text.find(needle) == std::string::npos) continue;  // the usual case: one search
    // Walk the text, replacing inside string literals only.
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (std::size_t i = 0; i < text.size();) {
      const char c = text[i];
      if (in_string && text.compare(i, needle.size(), needle) == 0) {
        out += format::kRedacted;
        i += needle.size();
        continue;
      }
      out += c;
      if (in_string && c == '\\' && i + 1 < text.size()) {
        out += text[i + 1];
        i += 2;
        continue;
      }
      if (c == '"') in_string = !in_string;
      ++i;
    }
    text = std::move(out);
  }
}

Result<std::unique_ptr<TapeWriter>> TapeWriter::open(const std::filesystem::path& path, TapeHeader header,
                                                     Redaction redaction, Writes writes) noexcept {
  try {
    std::unique_ptr<TapeWriter> w(new TapeWriter());
    w->path_ = path.string();
    w->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd_ < 0) return Error{"cannot write the tape " + path.string() + ": " + std::strerror(errno)};
    header.redacted_headers = redaction.headers;
    std::erase_if(redaction.secrets, [](const std::string& s) { return s.size() < 4; });
    w->redaction_ = std::move(redaction);
    w->buffer_ = header.to_json().dump() + "\n";
    if (!w->flush()) return Error{w->error()};
    if (writes == Writes::kBackground) {
      // Ordinary writes through the page cache, which never wait for the disk. (O_DIRECT
      // from an aligned stage cost the thread less CPU but blocked it for each write, and
      // measured 6-9 points more throughput loss: docs/performance.md.)
      TapeWriter* self = w.get();
      w->thread_ = std::thread([self] { self->background_loop(); });
    }
    return w;
  } catch (const std::exception& e) {
    return Error{"cannot write the tape " + path.string() + ": " + e.what()};
  }
}

TapeWriter::~TapeWriter() {
  flush();
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  if (fd_ >= 0) ::close(fd_);
}

void TapeWriter::write(const format::RecordParts& record, double duration_ms) {
  const std::size_t start = buffer_.size();
  format::append_record_line(buffer_, ++written_, record, duration_ms);
  redact_line(start);
}

void TapeWriter::write_rest(std::string_view rest) {
  const std::size_t start = buffer_.size();
  std::array<char, 32> seq{};
  const auto end = std::to_chars(seq.data(), seq.data() + seq.size(), ++written_).ptr;
  buffer_.append(R"({"seq":)").append(seq.data(), end).append(rest);
  redact_line(start);
}

void TapeWriter::redact_line(std::size_t line_start) {
  if (!redaction_.secrets.empty()) {
    std::string line = buffer_.substr(line_start);
    redact_secrets(line, redaction_.secrets);
    buffer_.resize(line_start);
    buffer_ += line;
  }
  buffer_ += '\n';
}

std::string TapeWriter::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

bool TapeWriter::fail(int error) noexcept {
  std::lock_guard lock(mutex_);
  if (error_.empty()) error_ = "cannot write the tape " + path_ + ": " + std::strerror(error);
  failed_ = true;
  return false;
}

bool TapeWriter::write_out(const std::string& bytes) noexcept {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(errno);
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void TapeWriter::hand_over() {
  std::unique_lock lock(mutex_);
  // At most 64 buffers (4 MiB) wait for the disk; beyond that the caller waits too.
  drained_.wait(lock, [&] { return full_.size() < 64; });
  full_.push_back(std::move(buffer_));
  if (spare_.empty()) {
    buffer_ = std::string();
  } else {
    buffer_ = std::move(spare_.back());
    spare_.pop_back();
  }
  buffer_.clear();
  lock.unlock();
  wake_.notify_one();
}

void TapeWriter::background_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !full_.empty(); });
    if (full_.empty()) return;  // stopping, and everything is written
    std::string bytes = std::move(full_.front());
    full_.pop_front();
    writing_ = true;
    lock.unlock();
    const bool ok = write_out(bytes);
    lock.lock();
    writing_ = false;
    if (ok) {
      bytes.clear();
      if (spare_.size() < 4) spare_.push_back(std::move(bytes));
    }
    drained_.notify_all();
  }
}

bool TapeWriter::flush() noexcept {
  last_flush_ = std::chrono::steady_clock::now();
  try {
    if (thread_.joinable()) {
      if (!buffer_.empty()) hand_over();
      std::unique_lock lock(mutex_);
      drained_.wait(lock, [&] { return full_.empty() && !writing_; });
      return error_.empty();
    }
  } catch (const std::exception&) {
    return false;
  }
  const bool ok = write_out(buffer_);
  buffer_.clear();
  return ok;
}

void TapeWriter::hand_over_if_full() noexcept {
  if (buffer_.size() >= kBufferBytes) write_buffer();
}

void TapeWriter::flush_if_due() noexcept {
  if (buffer_.empty()) return;
  const bool due = std::chrono::steady_clock::now() - last_flush_ >= std::chrono::milliseconds(100);
  if (buffer_.size() >= kBufferBytes || due) write_buffer();
}

void TapeWriter::write_buffer() noexcept {
  last_flush_ = std::chrono::steady_clock::now();
  if (thread_.joinable()) {
    try {
      hand_over();
    } catch (const std::exception&) {
    }
    return;
  }
  write_out(buffer_);
  buffer_.clear();
}

// --- reading ---------------------------------------------------------------

Result<std::unique_ptr<TapeReader>> TapeReader::open(const std::filesystem::path& path) noexcept {
  try {
    std::unique_ptr<TapeReader> r(new TapeReader());
    r->name_ = path.string();
    r->in_.open(path, std::ios::binary);
    if (!r->in_) return Error{r->name_ + ": cannot read the tape: " + std::strerror(errno)};
    std::string first;
    if (!std::getline(r->in_, first)) return Error{r->name_ + ": empty; a tape starts with its header line"};
    r->line_ = 1;
    r->bytes_read_ = first.size() + 1;
    std::error_code ec;
    r->size_ = std::filesystem::file_size(path, ec);
    Json j = Json::parse(first, nullptr, false);
    if (j.is_discarded()) return Error{r->name_ + ":1: the header line is not JSON"};
    auto header = header_from_json(j);
    if (!header) return Error{r->name_ + ":1: " + header.error().message};
    r->header_ = std::move(*header);
    return r;
  } catch (const std::exception& e) {
    return Error{path.string() + ": " + e.what()};
  }
}

std::optional<Result<format::TapeLine>> TapeReader::next() {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    bytes_read_ += text.size() + 1;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines are allowed
    return format::read_record_line(std::move(text), line_, name_ + ":" + std::to_string(line_));
  }
  return std::nullopt;
}

}  // namespace nimbus::recorder
