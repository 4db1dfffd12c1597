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

// --- the text of a record --------------------------------------------------

void RecordText::clear() noexcept {
  event_.clear();
  calls_.clear();
  logs_.clear();
  response_.clear();
}

namespace {

// `"k":` in one copy (keys are ours: nothing to escape). Each record has a
// few dozen keys and strings, so they are written with one resize and memcpy
// each rather than character by character.
void key(std::string& out, std::string_view k) {
  const std::size_t at = out.size();
  out.resize(at + k.size() + 3);
  char* p = out.data() + at;
  *p = '"';
  std::memcpy(p + 1, k.data(), k.size());
  p[k.size() + 1] = '"';
  p[k.size() + 2] = ':';
}

// `"k":"v",`: one copy when `v` needs no escaping.
void string_member(std::string& out, std::string_view k, std::string_view v) {
  if (engine::json_plain_prefix(v) != v.size()) {
    key(out, k);
    engine::append_json_string(out, v);
    out += ',';
    return;
  }
  const std::size_t at = out.size();
  out.resize(at + k.size() + v.size() + 6);
  char* p = out.data() + at;
  *p++ = '"';
  std::memcpy(p, k.data(), k.size());
  p += k.size();
  p[0] = '"';
  p[1] = ':';
  p[2] = '"';
  p += 3;
  if (!v.empty()) std::memcpy(p, v.data(), v.size());
  p += v.size();
  p[0] = '"';
  p[1] = ',';
}

// A body as text when it is printable, else base64, under the given keys.
void body_member(std::string& out, std::string_view body) {
  if (body.empty()) return;
  if (engine::printable_utf8(body)) {
    string_member(out, "body", body);
  } else {
    string_member(out, "bodyBase64", engine::base64_encode(body));
  }
}

// Appends a number in its shortest exact form (no locale, no format string: this runs per record).
template <class T>
void append_number(std::string& out, T value) {
  std::array<char, 32> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), ec == std::errc() ? end : buffer.data());
}

// Closes an object whose last member left a trailing comma.
void close_object(std::string& out) {
  if (out.back() == ',') {
    out.back() = '}';
  } else {
    out += '}';
  }
}

}  // namespace

// Pairs as an object; a repeated name keeps its values joined with ", " (as HTTP allows).
void RecordText::pairs(std::string& out, const auto& pairs, bool redact) {
  out += '{';
  for (auto it = pairs.begin(); it != pairs.end(); ++it) {
    const auto& entry = *it;
    const std::string_view name = entry.first;
    const std::string_view value = entry.second;
    bool seen = false;
    for (auto before = pairs.begin(); before != it && !seen; ++before) seen = (*before).first == name;
    if (seen) continue;
    engine::append_json_string(out, name);
    out += ':';
    const bool hidden = redact && std::any_of(redacted_headers_.begin(), redacted_headers_.end(),
                                              [&](const std::string& h) { return engine::iequals(h, name); });
    if (hidden) {
      engine::append_json_string(out, kRedacted);
    } else {
      auto later = std::next(it);
      while (later != pairs.end() && (*later).first != name) ++later;
      if (later == pairs.end()) {
        engine::append_json_string(out, value);
      } else {
        std::string joined(value);
        for (; later != pairs.end(); ++later) {
          if ((*later).first == name) {
            joined += ", ";
            joined += (*later).second;
          }
        }
        engine::append_json_string(out, joined);
      }
    }
    out += ',';
  }
  close_object(out);
}

void RecordText::event(const Event& e) {
  std::string& out = event_;
  out.clear();
  out += '{';
  string_member(out, "id", e.id());
  key(out, "trigger");
  out += '{';
  string_member(out, "kind", e.trigger_kind());
  string_member(out, "name", e.trigger_name());
  close_object(out);
  out += ',';
  if (!e.method().empty()) string_member(out, "method", e.method());
  if (!e.path().empty()) string_member(out, "path", e.path());
  if (!e.url().empty()) string_member(out, "url", e.url());
  if (e.headers().size() > 0) {
    key(out, "headers");
    pairs(out, e.headers(), true);
    out += ',';
  }
  if (e.fields().size() > 0) {
    key(out, "fields");
    pairs(out, e.fields(), false);
    out += ',';
  }
  string_member(out, "contentType", e.content_type());
  body_member(out, e.body());
  // The timestamp to the nanosecond, RFC 3339; the seconds' text is cached.
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(e.timestamp().time_since_epoch()).count();
  const std::int64_t seconds = ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000);
  if (seconds != cached_second_) {
    cached_second_ = seconds;
    cached_prefix_ = fmt::format("{:%FT%T}", std::chrono::sys_seconds(std::chrono::seconds(seconds)));
  }
  out += R"("timestamp":")"sv;
  out += cached_prefix_;
  std::array<char, 10> fraction{'.', '0', '0', '0', '0', '0', '0', '0', '0', '0'};
  for (std::int64_t rest = ns - seconds * 1'000'000'000, at = 9; at > 0 && rest > 0; --at, rest /= 10) {
    fraction[static_cast<std::size_t>(at)] = static_cast<char>('0' + rest % 10);
  }
  out.append(fraction.data(), fraction.size());
  out += R"(Z",)"sv;
  if (auto ce = e.cloud_event()) {
    key(out, "cloudEvent");
    out += '{';
    string_member(out, "type", ce->type);
    string_member(out, "source", ce->source);
    string_member(out, "specversion", ce->spec_version);
    if (!ce->subject.empty()) string_member(out, "subject", ce->subject);
    if (!ce->time.empty()) string_member(out, "time", ce->time);
    close_object(out);
    out += ',';
  }
  if (auto st = e.stream()) {
    key(out, "stream");
    out += '{';
    string_member(out, "topic", st->topic);
    fmt::format_to(std::back_inserter(out), R"("partition":{},"offset":{})", st->partition, st->offset);
    out += "},"sv;
  }
  close_object(out);
}

void RecordText::call(std::string_view binding, std::string_view operation, std::string_view arguments_json,
                      std::string_view result_json, std::optional<std::string_view> error) {
  std::string& out = calls_;
  if (!out.empty()) out += ',';
  out += '{';
  string_member(out, "binding", binding);
  string_member(out, "operation", operation);
  key(out, "arguments");
  out += arguments_json.empty() ? std::string_view("null") : arguments_json;
  out += ',';
  if (error) {
    key(out, "error");
    engine::append_json_string(out, *error);
  } else {
    key(out, "result");
    out += result_json.empty() ? std::string_view("null") : result_json;
  }
  out += '}';
}

void RecordText::call(const BindingCall& c, const Json& result, const std::string* error) {
  scratch_.clear();
  engine::append_json(scratch_, c.arguments);
  const std::size_t arguments_size = scratch_.size();
  if (error == nullptr) engine::append_json(scratch_, result);
  const std::string_view text = scratch_;
  call(c.binding, c.operation, text.substr(0, arguments_size), text.substr(arguments_size),
       error != nullptr ? std::optional<std::string_view>(*error) : std::nullopt);
}

void RecordText::log(LogLevel level, std::string_view message, std::string_view fields_json,
                     std::string_view logger) {
  std::string& out = logs_;
  if (!out.empty()) out += ',';
  out += R"({"level":")"sv;
  out += to_string(level);
  out += R"(",)"sv;
  string_member(out, "message", message);
  if (!fields_json.empty() && fields_json != "{}") {
    key(out, "fields");
    out += fields_json;
    out += ',';
  }
  if (!logger.empty()) string_member(out, "logger", logger);
  close_object(out);
}

void RecordText::log(const LogRecord& r) {
  log(r.level, r.message,
      r.fields.empty() ? std::string() : r.fields.dump(-1, ' ', false, Json::error_handler_t::replace),
      r.logger);
}

void RecordText::response(const Response& r) {
  std::string& out = response_;
  out.clear();
  out += R"({"status":)"sv;
  append_number(out, r.status());
  out += ',';
  if (!r.content_type().empty()) string_member(out, "contentType", r.content_type());
  if (!r.headers().empty()) {
    key(out, "headers");
    pairs(out, r.headers(), true);
    out += ',';
  }
  body_member(out, r.body());
  close_object(out);
}

void RecordText::append_line(std::string& out, std::uint64_t seq, double duration_ms) const {
  out += R"({"seq":)"sv;
  append_number(out, seq);
  out += R"(,"event":)"sv;
  out += event_;
  out += R"(,"calls":[)"sv;
  out += calls_;
  out += R"(],"logs":[)"sv;
  out += logs_;
  out += R"(],"response":)"sv;
  out += response_;
  out += R"(,"timing":{"durationMs":)"sv;
  append_number(out, duration_ms);
  out += "}}"sv;
}

TapeRecord RecordText::to_record(double duration_ms) const {
  TapeRecord r;
  r.event = Json::parse(event_.empty() ? std::string_view("{}") : std::string_view(event_));
  r.calls = Json::parse("[" + calls_ + "]");
  r.logs = Json::parse("[" + logs_ + "]");
  r.response = Json::parse(response_.empty() ? std::string_view("{}") : std::string_view(response_));
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

void TapeWriter::write(const RecordText& record, double duration_ms) {
  ++written_;
  if (redaction_.secrets.empty()) {
    record.append_line(buffer_, written_, duration_ms);
  } else {
    std::string line;
    record.append_line(line, written_, duration_ms);
    redact_secrets(line, redaction_.secrets);
    buffer_ += line;
  }
  buffer_ += '\n';
}

std::string TapeWriter::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

bool TapeWriter::write_out(const std::string& bytes) noexcept {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      std::lock_guard lock(mutex_);
      if (error_.empty()) error_ = "cannot write the tape " + path_ + ": " + std::strerror(e);
      failed_ = true;
      return false;
    }
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
  const bool full = buffer_.size() >= kBufferBytes;
  if (!full && std::chrono::steady_clock::now() - last_flush_ < std::chrono::milliseconds(100)) return;
  write_buffer();
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
  } catch (const Json::parse_error& e) {
    std::string why = e.what();
    if (auto at = why.find(']'); at != std::string::npos) why = why.substr(at + 2);
    return Error{where + ": truncated or corrupt record: " + why};
  }
}

}  // namespace nimbus::recorder
