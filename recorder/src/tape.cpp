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

#include "nimbus/engine/encoding.hpp"
#include "nimbus/engine/json_text.hpp"

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

Result<TapeRecord> record_from_json(const Json& j) {
  if (!j.is_object()) return Error{"expected a record object"};
  for (const char* key : {"event", "response"}) {
    if (!j.contains(key) || !j[key].is_object())
      return Error{std::string("field '") + key + "': missing or not an object"};
  }
  for (const char* key : {"calls", "logs"}) {
    if (j.contains(key) && !j[key].is_array())
      return Error{std::string("field '") + key + "': expected an array"};
  }
  if (!j["response"].contains("status") || !j["response"]["status"].is_number_integer()) {
    return Error{"field 'response.status': missing or not an integer"};
  }
  TapeRecord r;
  r.seq = j.contains("seq") && j["seq"].is_number_unsigned() ? j["seq"].get<std::uint64_t>() : 0;
  r.event = j["event"];
  r.response = j["response"];
  if (j.contains("calls")) r.calls = j["calls"];
  if (j.contains("logs")) r.logs = j["logs"];
  if (j.contains("timing") && j["timing"].is_object() && j["timing"].contains("durationMs") &&
      j["timing"]["durationMs"].is_number()) {
    r.duration_ms = j["timing"]["durationMs"].get<double>();
  }
  return r;
}

}  // namespace

Json TapeHeader::to_json() const {
  return Json{{"nimbusTape", format}, {"function", {{"name", function_name}, {"version", function_version}}},
              {"created", created},   {"logLevel", log_level},
              {"source", source},     {"redactedHeaders", redacted_headers}};
}

Json TapeRecord::to_json() const {
  return Json{{"seq", seq},   {"event", event},       {"calls", calls},
              {"logs", logs}, {"response", response}, {"timing", {{"durationMs", duration_ms}}}};
}

// --- the text of a record ---------------------------------------------------

namespace {

// `[items]` as JSON values. (Built by appending: GCC 12 at -O3 warns, wrongly, about
// `"[" + std::string(...)`; its bug 105651.)
Json json_array(std::string_view items) {
  std::string text;
  text.reserve(items.size() + 2);
  text += '[';
  text += items;
  text += ']';
  return Json::parse(text);
}

}  // namespace

TapeRecord to_record(const RecordText& text, double duration_ms) {
  TapeRecord r;
  r.event =
      Json::parse(text.event_json().empty() ? std::string_view("{}") : std::string_view(text.event_json()));
  r.calls = json_array(text.call_items());
  r.logs = json_array(text.log_items());
  r.response = Json::parse(text.response_json().empty() ? std::string_view("{}")
                                                        : std::string_view(text.response_json()));
  r.duration_ms = duration_ms;
  return r;
}

// --- writing ---------------------------------------------------------------

void redact_secrets(std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    std::string escaped;
    engine::append_json_string(escaped, secret);
    const std::string_view needle = std::string_view(escaped).substr(1, escaped.size() - 2);
    if (text.find(needle) == std::string::npos) continue;  // the usual case: one search
    // Walk the text, replacing inside string literals only.
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (std::size_t i = 0; i < text.size();) {
      const char c = text[i];
      if (in_string && text.compare(i, needle.size(), needle) == 0) {
        out += kRedacted;
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

void TapeWriter::write(const RecordParts& record, double duration_ms) {
  const std::size_t start = buffer_.size();
  engine::append_record_line(buffer_, ++written_, record, duration_ms);
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

namespace {

std::size_t skip_space(std::string_view text, std::size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
  return i;
}

// Finds the spans of a record's top-level members.
constexpr const char* kCorrupt = "truncated or corrupt record: ";

Result<void> scan_record(TapeLine& r) {
  const std::string_view text = r.text;
  std::size_t i = skip_space(text, 0);
  if (i >= text.size() || text[i] != '{') return Error{kCorrupt + std::string("expected a record object")};
  i = skip_space(text, i + 1);
  bool have_event = false;
  bool have_response = false;
  while (i < text.size() && text[i] != '}') {
    if (text[i] != '"')
      return Error{kCorrupt + std::string("expected a member name at column ") + std::to_string(i + 1)};
    const std::size_t name_end = text.find('"', i + 1);
    if (name_end == std::string_view::npos)
      return Error{kCorrupt + std::string("a member name does not end")};
    const std::string_view name = text.substr(i + 1, name_end - i - 1);
    i = skip_space(text, name_end + 1);
    if (i >= text.size() || text[i] != ':')
      return Error{kCorrupt + std::string("expected ':' after \"") + std::string(name) + "\""};
    i = skip_space(text, i + 1);
    std::optional<engine::JsonText> event;
    Result<std::size_t> end = Error{""};
    if (name == "event" && i < text.size() && text[i] == '{') {
      std::size_t event_end = 0;
      auto read = engine::JsonText::read(text, i, event_end);  // the event is read as it is scanned
      if (!read) return Error{kCorrupt + std::string("field 'event': ") + read.error().message};
      event = std::move(*read);
      end = event_end;
    } else {
      end = engine::json_value_end(text, i);
    }
    if (!end)
      return Error{kCorrupt + std::string("field '") + std::string(name) + "': " + end.error().message};
    TapeLine::Span span{i, *end - i};
    while (span.size > 0 && (text[span.at + span.size - 1] == ' ' || text[span.at + span.size - 1] == '\t'))
      --span.size;
    auto expect = [&](char open, const char* what) -> Result<void> {
      if (span.size == 0 || text[span.at] != open)
        return Error{"field '" + std::string(name) + "': expected " + what};
      return {};
    };
    if (name == "event") {
      if (auto ok = expect('{', "an object"); !ok) return ok;
      r.event = span;
      r.event_value = std::move(*event);
      have_event = true;
    } else if (name == "response") {
      if (auto ok = expect('{', "an object"); !ok) return ok;
      r.response = span;
      have_response = true;
    } else if (name == "calls") {
      if (auto ok = expect('[', "an array"); !ok) return ok;
      r.calls = span;
    } else if (name == "logs") {
      if (auto ok = expect('[', "an array"); !ok) return ok;
      r.logs = span;
    }
    i = skip_space(text, *end);
    if (i < text.size() && text[i] == ',') i = skip_space(text, i + 1);
  }
  if (i >= text.size()) return Error{kCorrupt + std::string("the line ends inside the record")};
  if (skip_space(text, i + 1) != text.size()) return Error{kCorrupt + std::string("text after the record")};
  if (!have_event) return Error{"field 'event': missing or not an object"};
  if (!have_response) return Error{"field 'response': missing or not an object"};
  return {};
}

}  // namespace

std::optional<Result<TapeLine>> TapeReader::next() {
  TapeLine r;
  while (std::getline(in_, r.text)) {
    ++line_;
    bytes_read_ += r.text.size() + 1;
    if (r.text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines are allowed
    r.number = line_;
    r.where = name_ + ":" + std::to_string(line_);
    if (auto ok = scan_record(r); !ok) {
      return Result<TapeLine>(Error{r.where + ": " + ok.error().message});
    }
    return Result<TapeLine>(std::move(r));
  }
  return std::nullopt;
}

Result<TapeRecord> TapeLine::parse() const {
  try {
    Json j = Json::parse(text);
    auto record = record_from_json(j);
    if (!record) return Error{where + ": " + record.error().message};
    return record;
  } catch (const Json::exception& e) {  // a syntax error, or a number out of range (1e999)
    std::string why = e.what();
    if (auto at = why.find(']'); at != std::string::npos) why = why.substr(at + 2);
    return Error{where + ": truncated or corrupt record: " + why};
  }
}

}  // namespace nimbus::recorder
