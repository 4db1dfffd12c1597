#include "nimbus/engine/record_text.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
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
  if (json_plain_prefix(v) != v.size()) {
    key(out, k);
    append_json_string(out, v);
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
  if (printable_utf8(body)) {
    string_member(out, "body", body);
  } else {
    string_member(out, "bodyBase64", base64_encode(body));
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
    append_json_string(out, name);
    out += ':';
    const bool hidden = redact && std::any_of(redacted_headers_.begin(), redacted_headers_.end(),
                                              [&](const std::string& h) { return iequals(h, name); });
    if (hidden) {
      append_json_string(out, kRedacted);
    } else {
      auto later = std::next(it);
      while (later != pairs.end() && (*later).first != name) ++later;
      if (later == pairs.end()) {
        append_json_string(out, value);
      } else {
        std::string joined(value);
        for (; later != pairs.end(); ++later) {
          if ((*later).first == name) {
            joined += ", ";
            joined += (*later).second;
          }
        }
        append_json_string(out, joined);
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
    append_json_string(out, *error);
  } else {
    key(out, "result");
    out += result_json.empty() ? std::string_view("null") : result_json;
  }
  out += '}';
}

void RecordText::call(const BindingCall& c, std::string_view result_json, const std::string* error) {
  call(c.binding, c.operation, c.arguments, result_json,
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

void append_record_line(std::string& out, std::uint64_t seq, const RecordParts& parts, double duration_ms) {
  out += R"({"seq":)"sv;
  append_number(out, seq);
  out += R"(,"event":)"sv;
  out += parts.event;
  out += R"(,"calls":[)"sv;
  out += parts.calls;
  out += R"(],"logs":[)"sv;
  out += parts.logs;
  out += R"(],"response":)"sv;
  out += parts.response;
  out += R"(,"timing":{"durationMs":)"sv;
  append_number(out, duration_ms);
  out += "}}"sv;
}

void RecordText::assign(const RecordParts& parts) {
  event_.assign(parts.event);
  calls_.assign(parts.calls);
  logs_.assign(parts.logs);
  response_.assign(parts.response);
}

}  // namespace nimbus::engine
