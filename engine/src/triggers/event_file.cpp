#include "nimbus/engine/event_file.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <ctime>
#include <sstream>
#include <type_traits>

#include "../util/strings.hpp"
#include "../util/url.hpp"
#include "nimbus/engine/json_text.hpp"

namespace nimbus::engine {
namespace {

namespace fs = std::filesystem;

struct FieldError {
  std::string message;
};

const std::array<std::string_view, 13> kKnownFields = {
    "id",   "trigger",    "method",    "path",       "headers", "fields", "contentType",
    "body", "bodyBase64", "timestamp", "cloudEvent", "stream",  "url"};

// The event-file reader is written once for two kinds of JSON: nlohmann's
// values (event files) and `JsonText` views (tapes, read without building
// values). A `JsonText` event that needs what only values do (a JSON body to
// re-serialise, a number to format) is read again as a value.
struct UseValues {};

template <class J>
std::string type_name(const J& j) {
  return j.type_name();
}

template <class J>
std::string need_string(const J& j, const std::string& field) {
  if (!j.is_string()) throw FieldError{"field '" + field + "': expected a string, got " + type_name(j)};
  return j.template get<std::string>();
}

template <class J>
std::vector<std::pair<std::string, std::string>> need_string_map(const J& j, const std::string& field) {
  if (!j.is_object())
    throw FieldError{"field '" + field + "': expected an object of strings, got " + type_name(j)};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) {
      out.emplace_back(k, v.template get<std::string>());
    } else if (v.is_number() || v.is_boolean()) {
      if constexpr (std::is_same_v<J, JsonText>) throw UseValues{};  // formatted as nlohmann formats them
      out.emplace_back(k, v.dump());
    } else {
      throw FieldError{"field '" + field + "." + k + "': expected a string, got " + type_name(v)};
    }
  }
  return out;
}

std::string base64_decode(const std::string& in, const std::string& field) {
  std::string out;
  int bits = 0;
  std::uint32_t acc = 0;
  std::size_t padding = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=') {
      ++padding;
      continue;
    } else if (std::isspace(static_cast<unsigned char>(c)) != 0)
      continue;
    if (v < 0 || padding > 0) throw FieldError{"field '" + field + "': not valid base64"};
    acc = (acc << 6U) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
    }
  }
  if (padding > 2) throw FieldError{"field '" + field + "': not valid base64"};
  return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(int year, unsigned month) noexcept {
  constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339, e.g. 2026-11-27T13:00:00.250Z or 2026-11-27T14:00:00+01:00: every field's digits
// and range checked, read by position (this runs for every replayed event).
std::chrono::system_clock::time_point parse_time(const std::string& s, const std::string& field) {
  auto bad = [&] {
    return FieldError{"field '" + field + "': '" + s +
                      "' is not an RFC 3339 time (e.g. 2026-11-27T13:00:00Z)"};
  };
  auto digits = [&](std::size_t at, std::size_t n, int low, int high) {
    int v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (k >= s.size() || s[k] < '0' || s[k] > '9') throw bad();
      v = v * 10 + (s[k] - '0');
    }
    if (v < low || v > high) throw bad();
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    throw bad();
  const int year = digits(0, 4, 0, 9999);
  const int month = digits(5, 2, 1, 12);
  const int day = digits(8, 2, 1, static_cast<int>(days_in_month(year, static_cast<unsigned>(month))));
  const int hour = digits(11, 2, 0, 23);
  const int minute = digits(14, 2, 0, 59);
  const int second = digits(17, 2, 0, 60);  // 60: a leap second
  std::size_t i = 19;
  std::int64_t ns = 0;
  if (s[i] == '.') {
    const std::size_t first = ++i;
    std::int64_t scale = 100'000'000;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      ns += (s[i] - '0') * scale;  // digits past the nanosecond are dropped
      scale /= 10;
    }
    if (i == first) throw bad();  // a '.' needs a digit
  }
  std::int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int h = digits(i + 1, 2, 0, 23);
    const int m = digits(i + 4, 2, 0, 59);
    offset_s = (s[i] == '+' ? 1 : -1) * (std::int64_t{h} * 3600 + std::int64_t{m} * 60);
    i = s.size();
  }
  if (i != s.size()) throw bad();
  const std::int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second - offset_s;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(seconds) +
                                                                      std::chrono::nanoseconds(ns)));
}

template <class J>
void check_keys(const J& j, const std::string& field, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      throw FieldError{"unknown field '" + field + "." + k + "' (expected: " + detail::join(allowed) + ")"};
    }
  }
}

template <class J>
EventData parse_event_or_throw(const J& j, const std::string& default_id, const EventDefaults& defaults) {
  if (!j.is_object()) throw FieldError{"an event must be a JSON object, got " + type_name(j)};
  for (const auto& [k, v] : j.items()) {
    if (std::find(kKnownFields.begin(), kKnownFields.end(), k) == kKnownFields.end()) {
      throw FieldError{"unknown field '" + k + "' (expected: " + detail::join(kKnownFields) + ")"};
    }
  }
  EventData d;
  d.id = j.contains("id") ? need_string(j["id"], "id") : default_id;
  d.trigger_kind = defaults.trigger_kind;
  d.trigger_name = defaults.trigger_name;
  if (j.contains("trigger")) {
    const auto& t = j["trigger"];
    if (!t.is_object())
      throw FieldError{"field 'trigger': expected an object {kind, name}, got " + type_name(t)};
    check_keys(t, "trigger", {"kind", "name"});
    if (t.contains("kind")) d.trigger_kind = need_string(t["kind"], "trigger.kind");
    d.trigger_name = t.contains("name") ? need_string(t["name"], "trigger.name") : d.trigger_kind;
  }
  if (j.contains("headers")) d.headers = need_string_map(j["headers"], "headers");
  if (j.contains("fields")) d.fields = need_string_map(j["fields"], "fields");

  int bodies = static_cast<int>(j.contains("body")) + static_cast<int>(j.contains("bodyBase64"));
  if (bodies > 1) throw FieldError{"fields 'body' and 'bodyBase64' exclude each other"};
  std::string default_type;
  if (j.contains("body")) {
    const auto& b = j["body"];
    if (b.is_string()) {
      d.body = b.template get<std::string>();
      default_type = "text/plain; charset=utf-8";
    } else {
      if constexpr (std::is_same_v<J, JsonText>) throw UseValues{};  // re-serialised as nlohmann does
      d.body = b.dump();
      default_type = "application/json";
    }
  } else if (j.contains("bodyBase64")) {
    d.body = base64_decode(need_string(j["bodyBase64"], "bodyBase64"), "bodyBase64");
    default_type = "application/octet-stream";
  }
  if (j.contains("contentType")) {
    d.content_type = need_string(j["contentType"], "contentType");
  } else {
    for (const auto& [k, v] : d.headers) {
      if (k.size() == 12 && strncasecmp(k.c_str(), "content-type", 12) == 0) d.content_type = v;
    }
    if (d.content_type.empty()) d.content_type = default_type;
  }

  const bool http = d.trigger_kind == "http";
  if (j.contains("method")) {
    d.method = need_string(j["method"], "method");
    std::transform(d.method.begin(), d.method.end(), d.method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  } else if (http) {
    d.method = d.body.empty() ? "GET" : "POST";
  }
  std::string target = j.contains("path") ? need_string(j["path"], "path") : (http ? "/" : "");
  if (!target.empty() && target[0] != '/')
    throw FieldError{"field 'path': must start with '/', got '" + target + "'"};
  d.url = j.contains("url") ? need_string(j["url"], "url") : target;
  auto q = target.find('?');
  d.path = target.substr(0, q);
  if (q != std::string::npos) {
    detail::for_each_query_pair(std::string_view(target).substr(q + 1), [&](std::string k, std::string v) {
      d.fields.emplace_back(std::move(k), std::move(v));
    });
  } else if (!d.fields.empty() && !j.contains("url")) {
    d.url += '?';
    for (std::size_t i = 0; i < d.fields.size(); ++i) {
      d.url += (i ? "&" : "") + d.fields[i].first + "=" + d.fields[i].second;
    }
  }

  d.timestamp = j.contains("timestamp") ? parse_time(need_string(j["timestamp"], "timestamp"), "timestamp")
                                        : std::chrono::system_clock::now();

  if (j.contains("cloudEvent")) {
    const auto& ce = j["cloudEvent"];
    if (!ce.is_object()) throw FieldError{"field 'cloudEvent': expected an object, got " + type_name(ce)};
    check_keys(ce, "cloudEvent", {"type", "source", "specversion", "subject", "time"});
    if (!ce.contains("type")) throw FieldError{"field 'cloudEvent.type': missing (CloudEvents require it)"};
    if (!ce.contains("source"))
      throw FieldError{"field 'cloudEvent.source': missing (CloudEvents require it)"};
    d.ce_type = need_string(ce["type"], "cloudEvent.type");
    d.ce_source = need_string(ce["source"], "cloudEvent.source");
    d.ce_spec_version =
        ce.contains("specversion") ? need_string(ce["specversion"], "cloudEvent.specversion") : "1.0";
    if (ce.contains("subject")) d.ce_subject = need_string(ce["subject"], "cloudEvent.subject");
    if (ce.contains("time")) {
      d.ce_time = need_string(ce["time"], "cloudEvent.time");
      (void)parse_time(d.ce_time, "cloudEvent.time");
    }
  }
  if (j.contains("stream")) {
    const auto& s = j["stream"];
    if (!s.is_object())
      throw FieldError{"field 'stream': expected an object {topic, partition, offset}, got " + type_name(s)};
    check_keys(s, "stream", {"topic", "partition", "offset"});
    d.has_stream = true;
    if (s.contains("topic")) d.topic = need_string(s["topic"], "stream.topic");
    for (const char* key : {"partition", "offset"}) {
      if (!s.contains(key)) continue;
      if (!s[key].is_number_integer())
        throw FieldError{std::string("field 'stream.") + key + "': expected an integer, got " +
                         type_name(s[key])};
      (std::strcmp(key, "partition") == 0 ? d.partition : d.offset) = s[key].template get<std::int64_t>();
    }
  }
  return d;
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> "line 1, column 5: ...";
// "[json.exception.out_of_range.406] number overflow parsing '1e999'" -> "number overflow parsing '1e999'".
std::string describe_parse_error(const Json::exception& e) {
  std::string what = e.what();
  auto at = what.find(" at line ");
  if (at != std::string::npos) return what.substr(at + 4);
  auto bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

}  // namespace

Result<EventData> parse_event(const Json& json, const std::string& default_id,
                              const EventDefaults& defaults) noexcept {
  try {
    return parse_event_or_throw(json, default_id, defaults);
  } catch (const FieldError& e) {
    return Error{e.message};
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

namespace {

// The event read again as JSON values: for what `JsonText` leaves to them, and for their error messages.
Result<EventData> parse_event_values(std::string_view text, const std::string& default_id,
                                     const EventDefaults& defaults) noexcept {
  try {
    return parse_event(Json::parse(text), default_id, defaults);
  } catch (const Json::exception& e) {
    return Error{"not JSON: " + describe_parse_error(e)};
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

}  // namespace

Result<EventData> parse_event_text(const JsonText& event, const std::string& default_id,
                                   const EventDefaults& defaults) noexcept {
  try {
    return parse_event_or_throw(event, default_id, defaults);
  } catch (const FieldError& e) {
    return Error{e.message};
  } catch (const UseValues&) {              // a JSON body, a number to format: values do it
  } catch (const std::invalid_argument&) {  // not what it seemed: the values say what is wrong
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
  return parse_event_values(event.text(), default_id, defaults);
}

Result<EventData> parse_event_text(std::string_view text, const std::string& default_id,
                                   const EventDefaults& defaults) noexcept {
  try {
    if (auto view = JsonText::parse(text)) return parse_event_text(*view, default_id, defaults);
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
  return parse_event_values(text, default_id, defaults);  // not even its brackets add up: say where
}

Result<EventFileFeed> EventFileFeed::open(const std::vector<std::string>& inputs, EventDefaults defaults,
                                          std::istream* standard_input) noexcept {
  try {
    EventFileFeed feed;
    feed.defaults_ = std::move(defaults);
    feed.stdin_ = standard_input;
    auto is_ndjson = [](const fs::path& p) {
      return p.extension() == ".ndjson" || p.extension() == ".jsonl";
    };
    for (const auto& input : inputs) {
      if (input == "-") {
        if (standard_input == nullptr) return Error{"-: standard input is not available"};
        feed.sources_.push_back({{}, true});
        continue;
      }
      fs::path p(input);
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(p)) {
          auto ext = entry.path().extension();
          if (entry.is_regular_file() && (ext == ".json" || is_ndjson(entry.path())))
            files.push_back(entry.path());
        }
        if (files.empty()) return Error{input + ": no event files (*.json, *.ndjson) in this directory"};
        std::sort(files.begin(), files.end());
        for (auto& f : files) feed.sources_.push_back({f, is_ndjson(f)});
      } else if (fs::exists(p, ec)) {
        feed.sources_.push_back({p, is_ndjson(p)});
      } else {
        return Error{input + ": no such event file or directory"};
      }
    }
    return feed;
  } catch (const std::exception& e) {
    return Error{std::string("event files: ") + e.what()};
  }
}

std::optional<FeedItem> EventFileFeed::next() {
  for (;;) {
    if (array_) {
      if (array_index_ < array_->size()) {
        std::size_t i = array_index_++;
        std::string origin = display_ + "[" + std::to_string(i) + "]";
        auto ev = parse_event((*array_)[i], stem_ + "-" + std::to_string(i + 1), defaults_);
        if (!ev) return FeedItem{origin, Error{origin + ": " + ev.error().message}};
        return FeedItem{origin, std::move(ev)};
      }
      array_.reset();
    }
    if (in_ != nullptr && ndjson_) {
      std::string line;
      while (std::getline(*in_, line)) {
        ++line_;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        std::string origin = display_ + ":" + std::to_string(line_);
        Json j;
        try {
          j = Json::parse(line);
        } catch (const Json::exception& e) {
          return FeedItem{origin, Error{origin + ": invalid JSON: " + describe_parse_error(e)}};
        }
        auto ev = parse_event(j, stem_ + "-" + std::to_string(line_), defaults_);
        if (!ev) return FeedItem{origin, Error{origin + ": " + ev.error().message}};
        return FeedItem{origin, std::move(ev)};
      }
      in_ = nullptr;
      file_.reset();
    }
    if (next_source_ >= sources_.size()) return std::nullopt;

    const Source& src = sources_[next_source_++];
    line_ = 0;
    ndjson_ = src.ndjson;
    if (src.path.empty()) {
      display_ = "-";
      stem_ = "stdin";
      in_ = stdin_;
    } else {
      display_ = src.path.string();
      stem_ = src.path.stem().string();
      file_ = std::make_unique<std::ifstream>(src.path, std::ios::binary);
      if (!*file_) {
        file_.reset();
        return FeedItem{display_, Error{display_ + ": cannot read (" + std::strerror(errno) + ")"}};
      }
      in_ = file_.get();
    }
    if (!ndjson_) {
      std::stringstream text;
      text << in_->rdbuf();
      in_ = nullptr;
      file_.reset();
      Json j;
      try {
        j = Json::parse(text.str());
      } catch (const Json::exception& e) {
        return FeedItem{display_, Error{display_ + ": invalid JSON: " + describe_parse_error(e)}};
      }
      if (j.is_array()) {
        array_ = std::move(j);
        array_index_ = 0;
        continue;
      }
      auto ev = parse_event(j, stem_, defaults_);
      if (!ev) return FeedItem{display_, Error{display_ + ": " + ev.error().message}};
      return FeedItem{display_, std::move(ev)};
    }
  }
}

}  // namespace nimbus::engine
