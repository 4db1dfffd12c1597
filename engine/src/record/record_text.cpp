#include "nimbus/engine/record_text.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>

#include "nimbus/engine/encoding.hpp"

namespace nimbus::engine {

using namespace std::literals;

void RecordText::clear() noexcept {
  event_.clear();
  calls_.clear();
  logs_.clear();
  response_.clear();
}

namespace {

// Writes JSON text into a string through a pointer. Room is made a few
// hundred bytes at a time (one resize, not one per member), keys are
// literals copied with sizes known when compiling, and strings that need no
// escaping (nearly all) are copied whole. A record has a few dozen members
// and is written for every recorded invocation, in the engine's workers.
class Writer {
 public:
  explicit Writer(std::string& out, std::size_t expect = 256) : out_(out), at_(out.size()) { room(expect); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() { out_.resize(at_); }  // shrinking: nothing is written

  template <std::size_t N>
  void lit(const char (&s)[N]) {
    room(N - 1);
    std::memcpy(out_.data() + at_, s, N - 1);
    at_ += N - 1;
  }
  void raw(std::string_view s) {
    room(s.size());
    if (!s.empty()) std::memcpy(out_.data() + at_, s.data(), s.size());
    at_ += s.size();
  }
  void ch(char c) {
    room(1);
    out_[at_++] = c;
  }
  // `s` as a JSON string literal.
  void string(std::string_view s) {
    if (json_plain_prefix(s) != s.size()) {
      out_.resize(at_);
      append_json_string(out_, s);
      at_ = out_.size();
      return;
    }
    room(s.size() + 2);
    char* p = out_.data() + at_;
    p[0] = '"';
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    at_ += s.size() + 2;
  }
  // `key` (a literal `"name":`), the string `value`, and a comma.
  template <std::size_t N>
  void member(const char (&key)[N], std::string_view value) {
    lit(key);
    string(value);
    ch(',');
  }
  // A number in its shortest exact form (no locale, no format string).
  template <class T>
  void number(T value) {
    room(32);
    char* p = out_.data() + at_;
    auto [end, ec] = std::to_chars(p, p + 32, value);
    if (ec == std::errc()) at_ += static_cast<std::size_t>(end - p);
  }
  // Milliseconds to the nanosecond, as fixed-point text without trailing
  // zeros ("0.021821", "3", "12.5"): the shortest text of ns / 1e6 for any
  // duration a record holds, with integer arithmetic only.
  void millis(double ms) {
    const double ns = ms * 1e6;
    if (!(ns >= 0 && ns < 9e15)) {  // not a duration (NaN, negative, centuries): as a double
      number(ms);
      return;
    }
    const auto whole = static_cast<std::uint64_t>(std::llround(ns));
    number(whole / 1'000'000);
    std::uint64_t fraction = whole % 1'000'000;
    if (fraction == 0) return;
    std::array<char, 7> digits{'.', '0', '0', '0', '0', '0', '0'};
    std::size_t end = 7;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --end;
    }
    for (std::size_t at = end - 1; fraction > 0; --at, fraction /= 10) {
      digits[at] = static_cast<char>('0' + fraction % 10);
    }
    raw(std::string_view(digits.data(), end));
  }
  // Closes an object whose last member left a trailing comma.
  void close_object() {
    if (at_ > 0 && out_[at_ - 1] == ',') {
      out_[at_ - 1] = '}';
    } else {
      ch('}');
    }
  }
  [[nodiscard]] bool empty() const noexcept { return at_ == 0; }

 private:
  void room(std::size_t n) {
    if (at_ + n > out_.size()) [[unlikely]]
      grow(n);
  }
  // Only the room asked for: the string's capacity grows geometrically by itself, and a resize
  // writes every byte it adds (a tape buffer holds many records: never double its size).
  [[gnu::noinline]] void grow(std::size_t n) { out_.resize(at_ + n); }
  std::string& out_;
  std::size_t at_;
};

// A body as text when it is printable, else base64.
void body_member(Writer& w, std::string_view body) {
  if (body.empty()) return;
  if (printable_utf8(body)) {
    w.member(R"("body":)", body);
  } else {
    w.member(R"("bodyBase64":)", base64_encode(body));
  }
}

}  // namespace

// Pairs as an object; a repeated name keeps its values joined with ", " (as HTTP allows).
template <class W>
void RecordText::pairs(W& w, const auto& pairs, bool redact) {
  w.ch('{');
  for (auto it = pairs.begin(); it != pairs.end(); ++it) {
    const auto& entry = *it;
    const std::string_view name = entry.first;
    const std::string_view value = entry.second;
    bool seen = false;
    for (auto before = pairs.begin(); before != it && !seen; ++before) seen = (*before).first == name;
    if (seen) continue;
    w.string(name);
    w.ch(':');
    const bool hidden = redact && std::any_of(redacted_headers_.begin(), redacted_headers_.end(),
                                              [&](const std::string& h) { return iequals(h, name); });
    if (hidden) {
      w.string(kRedacted);
    } else {
      auto later = std::next(it);
      while (later != pairs.end() && (*later).first != name) ++later;
      if (later == pairs.end()) {
        w.string(value);
      } else {
        std::string joined(value);
        for (; later != pairs.end(); ++later) {
          if ((*later).first == name) {
            joined += ", ";
            joined += (*later).second;
          }
        }
        w.string(joined);
      }
    }
    w.ch(',');
  }
  w.close_object();
}

void RecordText::event(const Event& e) {
  event_.clear();
  Writer w(event_, 256 + e.bytes().size());
  w.lit(R"({"id":)");
  w.string(e.id());
  w.lit(R"(,"trigger":{"kind":)");
  w.string(e.trigger_kind());
  w.lit(R"(,"name":)");
  w.string(e.trigger_name());
  w.lit("},");
  if (!e.method().empty()) w.member(R"("method":)", e.method());
  if (!e.path().empty()) w.member(R"("path":)", e.path());
  if (!e.url().empty()) w.member(R"("url":)", e.url());
  if (e.headers().size() > 0) {
    w.lit(R"("headers":)");
    pairs(w, e.headers(), true);
    w.ch(',');
  }
  if (e.fields().size() > 0) {
    w.lit(R"("fields":)");
    pairs(w, e.fields(), false);
    w.ch(',');
  }
  w.member(R"("contentType":)", e.content_type());
  body_member(w, e.body());
  // The timestamp to the nanosecond, RFC 3339; the seconds' text is cached.
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(e.timestamp().time_since_epoch()).count();
  const std::int64_t seconds = ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000);
  if (seconds != cached_second_) {
    cached_second_ = seconds;
    cached_prefix_ = fmt::format("{:%FT%T}", std::chrono::sys_seconds(std::chrono::seconds(seconds)));
  }
  w.lit(R"("timestamp":")");
  w.raw(cached_prefix_);
  std::array<char, 10> fraction{'.', '0', '0', '0', '0', '0', '0', '0', '0', '0'};
  for (std::int64_t rest = ns - seconds * 1'000'000'000, at = 9; at > 0 && rest > 0; --at, rest /= 10) {
    fraction[static_cast<std::size_t>(at)] = static_cast<char>('0' + rest % 10);
  }
  w.raw(std::string_view(fraction.data(), fraction.size()));
  w.lit(R"(Z",)");
  if (auto ce = e.cloud_event()) {
    w.lit(R"("cloudEvent":{)");
    w.member(R"("type":)", ce->type);
    w.member(R"("source":)", ce->source);
    w.member(R"("specversion":)", ce->spec_version);
    if (!ce->subject.empty()) w.member(R"("subject":)", ce->subject);
    if (!ce->time.empty()) w.member(R"("time":)", ce->time);
    w.close_object();
    w.ch(',');
  }
  if (auto st = e.stream()) {
    w.lit(R"("stream":{)");
    w.member(R"("topic":)", st->topic);
    w.lit(R"("partition":)");
    w.number(st->partition);
    w.lit(R"(,"offset":)");
    w.number(st->offset);
    w.lit("},");
  }
  w.close_object();
}

void RecordText::call(std::string_view binding, std::string_view operation, std::string_view arguments_json,
                      std::string_view result_json, std::optional<std::string_view> error) {
  Writer w(calls_, 128 + arguments_json.size() + result_json.size());
  if (!w.empty()) w.ch(',');
  w.lit(R"({"binding":)");
  w.string(binding);
  w.lit(R"(,"operation":)");
  w.string(operation);
  w.lit(R"(,"arguments":)");
  w.raw(arguments_json.empty() ? std::string_view("null") : arguments_json);
  if (error) {
    w.lit(R"(,"error":)");
    w.string(*error);
  } else {
    w.lit(R"(,"result":)");
    w.raw(result_json.empty() ? std::string_view("null") : result_json);
  }
  w.ch('}');
}

void RecordText::call(const BindingCall& c, std::string_view result_json, const std::string* error) {
  call(c.binding, c.operation, c.arguments, result_json,
       error != nullptr ? std::optional<std::string_view>(*error) : std::nullopt);
}

void RecordText::log(LogLevel level, std::string_view message, std::string_view fields_json,
                     std::string_view logger) {
  Writer w(logs_, 96 + message.size() + fields_json.size());
  if (!w.empty()) w.ch(',');
  w.lit(R"({"level":")");
  w.raw(to_string(level));
  w.lit(R"(",)");
  w.member(R"("message":)", message);
  if (!fields_json.empty() && fields_json != "{}") {
    w.lit(R"("fields":)");
    w.raw(fields_json);
    w.ch(',');
  }
  if (!logger.empty()) w.member(R"("logger":)", logger);
  w.close_object();
}

void RecordText::log(const LogRecord& r) {
  log(r.level, r.message,
      r.fields.empty() ? std::string() : r.fields.dump(-1, ' ', false, Json::error_handler_t::replace),
      r.logger);
}

void RecordText::response(const Response& r) {
  response_.clear();
  Writer w(response_, 128 + r.content_type().size() + r.body().size());
  w.lit(R"({"status":)");
  w.number(r.status());
  w.ch(',');
  if (!r.content_type().empty()) w.member(R"("contentType":)", r.content_type());
  if (!r.headers().empty()) {
    w.lit(R"("headers":)");
    pairs(w, r.headers(), true);
    w.ch(',');
  }
  body_member(w, r.body());
  w.close_object();
}

namespace {

// The literals between a record's parts, in order (append_record_rest).
constexpr std::string_view kBeforeEvent = R"(,"event":)";
constexpr std::string_view kBeforeCalls = R"(,"calls":[)";
constexpr std::string_view kBeforeLogs = R"(],"logs":[)";
constexpr std::string_view kBeforeResponse = R"(],"response":)";
constexpr std::string_view kBeforeDuration = R"(,"timing":{"durationMs":)";
constexpr std::string_view kEnd = "}}";

}  // namespace

void append_record_line(std::string& out, std::uint64_t seq, const RecordParts& parts, double duration_ms) {
  {
    Writer w(out, 32);
    w.lit(R"({"seq":)");
    w.number(seq);
  }
  append_record_rest(out, parts, duration_ms);
}

void append_record_rest(std::string& out, const RecordParts& parts, double duration_ms) {
  Writer w(out, 96 + parts.event.size() + parts.calls.size() + parts.logs.size() + parts.response.size());
  w.lit(R"(,"event":)");
  w.raw(parts.event);
  w.lit(R"(,"calls":[)");
  w.raw(parts.calls);
  w.lit(R"(],"logs":[)");
  w.raw(parts.logs);
  w.lit(R"(],"response":)");
  w.raw(parts.response);
  w.lit(R"(,"timing":{"durationMs":)");
  w.millis(duration_ms);
  w.lit("}}");
}

std::optional<RecordParts> record_parts_in(std::string_view rest, std::size_t event_size,
                                           std::size_t calls_size, std::size_t logs_size,
                                           std::size_t response_size) noexcept {
  RecordParts parts;
  std::size_t at = 0;
  // The literal `before` at `at`, then `size` bytes of a part.
  auto take = [&](std::string_view before, std::size_t size, std::string_view& part) {
    if (rest.size() - at < before.size() || rest.substr(at, before.size()) != before) return false;
    at += before.size();
    if (rest.size() - at < size) return false;
    part = rest.substr(at, size);
    at += size;
    return true;
  };
  std::string_view duration;
  if (!take(kBeforeEvent, event_size, parts.event) || !take(kBeforeCalls, calls_size, parts.calls) ||
      !take(kBeforeLogs, logs_size, parts.logs) || !take(kBeforeResponse, response_size, parts.response) ||
      !take(kBeforeDuration, 0, duration) || !rest.ends_with(kEnd) || rest.size() < at + kEnd.size()) {
    return std::nullopt;
  }
  return parts;
}

void RecordText::assign(const RecordParts& parts) {
  event_.assign(parts.event);
  calls_.assign(parts.calls);
  logs_.assign(parts.logs);
  response_.assign(parts.response);
}

}  // namespace nimbus::engine
