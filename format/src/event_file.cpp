#include "nimbus/format/event_file.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <limits>
#include <sstream>
#include <type_traits>

#include "nimbus/format/cloud_event.hpp"
#include "nimbus/format/json_text.hpp"
#include "nimbus/format/text.hpp"
#include "nimbus/format/time_text.hpp"

namespace nimbus::format {
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

std::string need_base64(const std::string& in, const std::string& field) {
  auto bytes = base64_decode(in);
  if (!bytes) throw FieldError{"field '" + field + "': not valid base64"};
  return std::move(*bytes);
}

std::chrono::system_clock::time_point need_time(const std::string& s, const std::string& field) {
  auto t = parse_rfc3339(s);
  if (!t) throw FieldError{"field '" + field + "': '" + s + "' " + t.error().message};
  return *t;
}

template <class J>
void check_keys(const J& j, const std::string& field, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      throw FieldError{"unknown field '" + field + "." + k + "' (expected: " + join(allowed) + ")"};
    }
  }
}

// `trigger`: {kind, name}, or the defaults.
template <class J>
void read_trigger(const J& j, const EventDefaults& defaults, detail::EventData& d) {
  d.trigger_kind = defaults.trigger_kind;
  d.trigger_name = defaults.trigger_name;
  if (!j.contains("trigger")) return;
  const auto& t = j["trigger"];
  if (!t.is_object())
    throw FieldError{"field 'trigger': expected an object {kind, name}, got " + type_name(t)};
  check_keys(t, "trigger", {"kind", "name"});
  if (t.contains("kind")) d.trigger_kind = need_string(t["kind"], "trigger.kind");
  d.trigger_name = t.contains("name") ? need_string(t["name"], "trigger.name") : d.trigger_kind;
}

// `body` (text, or JSON re-serialised) or `bodyBase64`, and the content type they imply.
template <class J>
void read_body(const J& j, detail::EventData& d) {
  const int bodies = static_cast<int>(j.contains("body")) + static_cast<int>(j.contains("bodyBase64"));
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
    d.body = need_base64(need_string(j["bodyBase64"], "bodyBase64"), "bodyBase64");
    default_type = "application/octet-stream";
  }
  if (j.contains("contentType")) {
    d.content_type = need_string(j["contentType"], "contentType");
    return;
  }
  for (const auto& [k, v] : d.headers) {
    if (iequals(k, "content-type")) d.content_type = v;
  }
  if (d.content_type.empty()) d.content_type = default_type;
}

// `method` (GET without a body, POST with one, for HTTP), `path` with its query, `url`.
template <class J>
void read_target(const J& j, detail::EventData& d) {
  const bool http = d.trigger_kind == "http";
  if (j.contains("method")) {
    d.method = need_string(j["method"], "method");
    std::transform(d.method.begin(), d.method.end(), d.method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  } else if (http) {
    d.method = d.body.empty() ? "GET" : "POST";
  }
  std::string target = j.contains("path") ? need_string(j["path"], "path") : (http ? "/" : "");
  if (http && !target.empty() && target[0] != '/')
    throw FieldError{"field 'path': must start with '/', got '" + target + "'"};
  d.url = j.contains("url") ? need_string(j["url"], "url") : target;
  if (!http && target.find('?') == std::string::npos &&
      target.find('/') != 0) {  // a topic or subject as path
    d.path = target;
    return;
  }
  auto q = target.find('?');
  d.path = target.substr(0, q);
  if (q != std::string::npos) {
    for_each_query_pair(std::string_view(target).substr(q + 1), [&](std::string k, std::string v) {
      d.fields.emplace_back(std::move(k), std::move(v));
    });
  } else if (!d.fields.empty() && !j.contains("url")) {
    d.url += '?';
    for (std::size_t i = 0; i < d.fields.size(); ++i) {
      d.url += (i ? "&" : "") + d.fields[i].first + "=" + d.fields[i].second;
    }
  }
}

// `cloudEvent`: type and source required, specversion 1.0 by default, time an RFC 3339 time,
// dataschema a URI, extensions {name: string, number or boolean}.
template <class J>
void read_cloud_event(const J& ce, detail::EventData& d) {
  if (!ce.is_object()) throw FieldError{"field 'cloudEvent': expected an object, got " + type_name(ce)};
  check_keys(ce, "cloudEvent",
             {"type", "source", "specversion", "subject", "time", "dataschema", "extensions"});
  if (!ce.contains("type")) throw FieldError{"field 'cloudEvent.type': missing (CloudEvents require it)"};
  if (!ce.contains("source")) throw FieldError{"field 'cloudEvent.source': missing (CloudEvents require it)"};
  d.ce_type = need_string(ce["type"], "cloudEvent.type");
  d.ce_source = need_string(ce["source"], "cloudEvent.source");
  d.ce_spec_version =
      ce.contains("specversion") ? need_string(ce["specversion"], "cloudEvent.specversion") : "1.0";
  if (ce.contains("subject")) d.ce_subject = need_string(ce["subject"], "cloudEvent.subject");
  if (ce.contains("time")) {
    d.ce_time = need_string(ce["time"], "cloudEvent.time");
    (void)need_time(d.ce_time, "cloudEvent.time");
  }
  if (ce.contains("dataschema")) d.ce_data_schema = need_string(ce["dataschema"], "cloudEvent.dataschema");
  if (ce.contains("extensions")) {
    d.ce_extensions = need_string_map(ce["extensions"], "cloudEvent.extensions");
    for (const auto& [name, value] : d.ce_extensions) {
      if (!valid_cloud_event_extension_name(name)) {
        throw FieldError{"field 'cloudEvent.extensions': '" + name +
                         "' is not an extension name (lower-case letters and digits only)"};
      }
    }
  }
}

// `stream`: {topic, partition, numShards, offset, lastInBatch}.
template <class J>
void read_stream(const J& s, detail::EventData& d) {
  if (!s.is_object()) {
    throw FieldError{"field 'stream': expected an object {topic, partition, offset}, got " + type_name(s)};
  }
  check_keys(s, "stream", {"topic", "partition", "numShards", "offset", "lastInBatch"});
  d.has_stream = true;
  if (s.contains("topic")) d.topic = need_string(s["topic"], "stream.topic");
  const std::array<std::pair<const char*, std::int64_t*>, 3> numbers = {
      {{"partition", &d.partition}, {"numShards", &d.num_shards}, {"offset", &d.offset}}};
  for (const auto& [key, into] : numbers) {
    if (!s.contains(key)) continue;
    if (!s[key].is_number_integer()) {
      throw FieldError{std::string("field 'stream.") + key + "': expected an integer, got " +
                       type_name(s[key])};
    }
    *into = s[key].template get<std::int64_t>();
  }
  if (d.num_shards < 0 || d.num_shards > std::numeric_limits<std::uint32_t>::max()) {
    throw FieldError{"field 'stream.numShards': expected 0 to 4294967295, got " +
                     std::to_string(d.num_shards)};
  }
  if (s.contains("lastInBatch")) {
    if (!s["lastInBatch"].is_boolean()) {
      throw FieldError{"field 'stream.lastInBatch': expected a boolean, got " + type_name(s["lastInBatch"])};
    }
    d.last_in_batch = s["lastInBatch"].template get<bool>();
  }
}

template <class J>
detail::EventData parse_event_or_throw(const J& j, const std::string& default_id,
                                       const EventDefaults& defaults) {
  if (!j.is_object()) throw FieldError{"an event must be a JSON object, got " + type_name(j)};
  for (const auto& [k, v] : j.items()) {
    if (std::find(kKnownFields.begin(), kKnownFields.end(), k) == kKnownFields.end()) {
      throw FieldError{"unknown field '" + k + "' (expected: " + join(kKnownFields) + ")"};
    }
  }
  detail::EventData d;
  d.id = j.contains("id") ? need_string(j["id"], "id") : default_id;
  read_trigger(j, defaults, d);
  if (j.contains("headers")) d.headers = need_string_map(j["headers"], "headers");
  if (j.contains("fields")) d.fields = need_string_map(j["fields"], "fields");
  read_body(j, d);
  read_target(j, d);
  d.timestamp = j.contains("timestamp") ? need_time(need_string(j["timestamp"], "timestamp"), "timestamp")
                                        : std::chrono::system_clock::now();
  if (j.contains("cloudEvent")) read_cloud_event(j["cloudEvent"], d);
  if (j.contains("stream")) read_stream(j["stream"], d);
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

// JSON text as values, as nlohmann reads it but refusing a raw NUL byte (nlohmann stops
// reading at one: the rest of the text would be dropped unseen). The error says where.
Result<Json> json_of(std::string_view text) {
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) return nul_error(nul);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // a syntax error, or a number out of range (1e999)
    return Error{describe_parse_error(e)};
  }
}

}  // namespace

Result<detail::EventData> parse_event(const Json& json, const std::string& default_id,
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
Result<detail::EventData> parse_event_values(std::string_view text, const std::string& default_id,
                                             const EventDefaults& defaults) noexcept {
  try {
    auto json = json_of(text);
    if (!json) return Error{"not JSON: " + json.error().message};
    return parse_event(*json, default_id, defaults);
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

}  // namespace

Result<detail::EventData> parse_event_text(const JsonText& event, const std::string& default_id,
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

Result<detail::EventData> parse_event_text(std::string_view text, const std::string& default_id,
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
        auto j = json_of(line);
        if (!j) return FeedItem{origin, Error{origin + ": invalid JSON: " + j.error().message}};
        auto ev = parse_event(*j, stem_ + "-" + std::to_string(line_), defaults_);
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
      auto parsed = json_of(text.str());
      if (!parsed) return FeedItem{display_, Error{display_ + ": invalid JSON: " + parsed.error().message}};
      Json& j = *parsed;
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

}  // namespace nimbus::format
