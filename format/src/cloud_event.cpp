#include "nimbus/format/cloud_event.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "nimbus/format/json_text.hpp"
#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/text.hpp"
#include "nimbus/format/time_text.hpp"
#include "nimbus/json.hpp"

namespace nimbus::format {
namespace {

// The media type without parameters or surrounding blanks, as written.
std::string_view bare_media_type(std::string_view content_type) noexcept {
  return trim(content_type.substr(0, content_type.find(';')));
}

// The same, lower-cased.
std::string media_type(std::string_view content_type) {
  std::string out(bare_media_type(content_type));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// JSON data per the JSON event format: application/json, or any type ending in +json.
bool json_media_type(std::string_view content_type) {
  const std::string type = media_type(content_type);
  return type.empty() || type == "application/json" || type == "text/json" ||
         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

// Where the required attributes go, in the order their absence is reported.
struct Required {
  const char* name;
  std::string detail::EventData::*member;
};
constexpr std::array<Required, 4> kRequired = {{{"id", &detail::EventData::id},
                                                {"source", &detail::EventData::ce_source},
                                                {"type", &detail::EventData::ce_type},
                                                {"specversion", &detail::EventData::ce_spec_version}}};

// The optional attributes other than datacontenttype, which is the event's content type.
constexpr std::array<Required, 3> kOptional = {{{"subject", &detail::EventData::ce_subject},
                                                {"time", &detail::EventData::ce_time},
                                                {"dataschema", &detail::EventData::ce_data_schema}}};

// The member an attribute goes to; null for datacontenttype (the event's content type) and extensions.
std::string detail::EventData::*attribute_member(std::string_view name) noexcept {
  for (const Required& r : kRequired) {
    if (name == r.name) return r.member;
  }
  for (const Required& o : kOptional) {
    if (name == o.name) return o.member;
  }
  return nullptr;
}

// The checks every mode shares, once its attributes are in `e`.
Result<void> check(const detail::EventData& e, std::string_view where) {
  for (const Required& r : kRequired) {
    if ((e.*r.member).empty()) {
      return Error{std::string(where) + "missing required attribute '" + r.name + "'"};
    }
  }
  if (e.ce_spec_version != kCloudEventsVersion) {
    return Error{std::string(where) + "specversion '" + e.ce_spec_version + "' is not supported (expected " +
                 std::string(kCloudEventsVersion) + ")"};
  }
  if (!e.ce_time.empty()) {
    if (auto t = parse_rfc3339(e.ce_time); !t) {
      return Error{std::string(where) + "attribute 'time': '" + e.ce_time + "' " + t.error().message};
    }
  }
  return {};
}

// An attribute's value in the JSON format: a string, or an integer or boolean as text.
Result<std::string> attribute_text(const Json& value, std::string_view name, std::string_view where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_boolean()) return value.dump();
  return Error{std::string(where) + "attribute '" + std::string(name) +
               "': expected a string, an integer or a boolean, got " + value.type_name()};
}

// `data` or `data_base64` into the body, and the content type they imply.
Result<void> read_data(const Json& object, detail::EventData& into, std::string_view where) {
  const bool has_data = object.contains("data") && !object["data"].is_null();
  const bool has_base64 = object.contains("data_base64") && !object["data_base64"].is_null();
  if (has_data && has_base64)
    return Error{std::string(where) + "'data' and 'data_base64' exclude each other"};
  into.body.clear();
  if (has_base64) {
    const Json& b = object["data_base64"];
    auto bytes = b.is_string() ? base64_decode(b.get<std::string>()) : std::nullopt;
    if (!bytes) return Error{std::string(where) + "'data_base64' is not a base64 string"};
    into.body = std::move(*bytes);
    return {};
  }
  if (!has_data) return {};
  const Json& data = object["data"];
  if (data.is_string() && !json_media_type(into.content_type)) {
    into.body = data.get<std::string>();  // text in a type of its own
  } else {
    into.body = data.dump();
    if (into.content_type.empty()) into.content_type = "application/json";
  }
  return {};
}

Result<void> read_object(const Json& object, detail::EventData& into, std::string_view where) {
  if (!object.is_object())
    return Error{std::string(where) + "expected a JSON object, got " + object.type_name()};
  into.ce_extensions.clear();
  into.content_type.clear();  // the request's is the format's, not the data's
  for (const Required& r : kRequired) (into.*r.member).clear();
  for (const Required& o : kOptional) (into.*o.member).clear();
  for (const auto& [name, value] : object.items()) {
    if (value.is_null() || name == "data" || name == "data_base64") continue;  // null: absent
    auto text = attribute_text(value, name, where);
    if (!text) return text.error();
    if (auto member = attribute_member(name)) {
      into.*member = std::move(*text);
    } else if (name == "datacontenttype") {
      into.content_type = std::move(*text);
    } else if (!valid_cloud_event_extension_name(name)) {
      return Error{std::string(where) + "'" + name +
                   "' is not an attribute name (lower-case letters and digits only)"};
    } else {
      into.ce_extensions.emplace_back(name, std::move(*text));
    }
  }
  if (auto ok = read_data(object, into, where); !ok) return ok;
  return check(into, where);
}

Result<Json> parse_json(std::string_view text, std::string_view where) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // a parse error, or a number out of range
    return Error{std::string(where) + "the body is not JSON: " + e.what()};
  }
}

}  // namespace

bool valid_cloud_event_extension_name(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

CloudEventMode cloud_event_mode(std::string_view content_type, bool has_ce_headers) noexcept {
  // On every HTTP request: the media type compared in place, without a copy.
  const std::string_view type = bare_media_type(content_type);
  if (type.size() > 12 && iequals(type.substr(0, 12), "application/")) {
    if (iequals(type, "application/cloudevents+json")) return CloudEventMode::kStructured;
    if (iequals(type, "application/cloudevents-batch+json")) return CloudEventMode::kBatch;
  }
  return has_ce_headers ? CloudEventMode::kBinary : CloudEventMode::kNone;
}

bool is_ce_header(std::string_view name) noexcept {
  return name.size() > 3 && (name[0] == 'c' || name[0] == 'C') && (name[1] == 'e' || name[1] == 'E') &&
         name[2] == '-';
}

void BinaryCloudEvent::add(std::string_view header_name, std::string_view value) {
  std::string name(header_name.substr(3));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  attributes.emplace_back(std::move(name), value.find('%') == std::string_view::npos ? std::string(value)
                                                                                     : percent_decode(value));
}

Result<void> BinaryCloudEvent::apply(detail::EventData& into) const {
  constexpr std::string_view where = "CloudEvent (binary mode): ";
  for (const Required& r : kRequired) (into.*r.member).clear();  // the trigger's own id is not ce-id
  for (const Required& o : kOptional) (into.*o.member).clear();
  into.ce_extensions.clear();
  for (const auto& [name, value] : attributes) {
    if (auto member = attribute_member(name)) {
      into.*member = value;
    } else if (name == "datacontenttype") {
      return Error{std::string(where) +
                   "'ce-datacontenttype' is not a header of binary mode (use Content-Type)"};
    } else if (!valid_cloud_event_extension_name(name)) {
      return Error{std::string(where) + "'ce-" + name +
                   "' does not name an attribute (lower-case letters and digits only)"};
    } else {
      into.ce_extensions.emplace_back(name, value);
    }
  }
  return check(into, where);
}

Result<void> read_structured_cloud_event(std::string_view json_text, detail::EventData& into) {
  try {
    constexpr std::string_view where = "CloudEvent (structured mode): ";
    auto j = parse_json(json_text, where);
    if (!j) return j.error();
    return read_object(*j, into, where);
  } catch (const std::exception& e) {
    return Error{std::string("CloudEvent (structured mode): ") + e.what()};
  }
}

Result<std::vector<detail::EventData>> read_cloud_event_batch(std::string_view json_text,
                                                              const detail::EventData& base) {
  try {
    auto j = parse_json(json_text, "CloudEvents batch: ");
    if (!j) return j.error();
    if (!j->is_array())
      return Error{"CloudEvents batch: expected a JSON array, got " + std::string(j->type_name())};
    std::vector<detail::EventData> events;
    events.reserve(j->size());
    for (std::size_t i = 0; i < j->size(); ++i) {
      detail::EventData e = base;
      const std::string where = "CloudEvents batch: event " + std::to_string(i) + ": ";
      if (auto ok = read_object((*j)[i], e, where); !ok) return ok.error();
      events.push_back(std::move(e));
    }
    return events;
  } catch (const std::exception& e) {
    return Error{std::string("CloudEvents batch: ") + e.what()};
  }
}

namespace {

// A binary-mode header value: percent-encoded where the HTTP binding requires it.
std::string header_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '%') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> binary_cloud_event_headers(const detail::EventData& event) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(kRequired.size() + kOptional.size() + event.ce_extensions.size());
  for (const Required& r : kRequired)
    out.emplace_back(std::string("ce-") + r.name, header_value(event.*r.member));
  for (const Required& o : kOptional) {
    if (!(event.*o.member).empty())
      out.emplace_back(std::string("ce-") + o.name, header_value(event.*o.member));
  }
  for (const auto& [name, value] : event.ce_extensions) out.emplace_back("ce-" + name, header_value(value));
  return out;
}

std::string structured_cloud_event(const detail::EventData& event) {
  std::string out;
  {
    JsonWriter w(out, 128 + event.body.size() * 4 / 3);  // sizes `out` when it goes
    w.ch('{');
    for (const Required& r : kRequired) {
      w.string(r.name);
      w.ch(':');
      w.string(event.*r.member);
      w.ch(',');
    }
    for (const Required& o : kOptional) {
      if ((event.*o.member).empty()) continue;
      w.string(o.name);
      w.ch(':');
      w.string(event.*o.member);
      w.ch(',');
    }
    for (const auto& [name, value] : event.ce_extensions) {
      w.string(name);
      w.ch(':');
      w.string(value);
      w.ch(',');
    }
    if (!event.content_type.empty()) w.member(R"("datacontenttype":)", event.content_type);
    if (event.body.empty()) {  // no data member
    } else if (json_media_type(event.content_type) && JsonText::parse(event.body)) {
      w.lit(R"("data":)");
      w.raw(event.body);
      w.ch(',');
    } else if (printable_utf8(event.body)) {
      w.member(R"("data":)", event.body);
    } else {
      w.member(R"("data_base64":)", base64_encode(event.body));
    }
    w.close_object();
  }
  return out;
}

}  // namespace nimbus::format
