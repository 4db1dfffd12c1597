#include "nimbus/recorder/tape.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>

#include "nimbus/engine/encoding.hpp"

namespace nimbus::recorder {
namespace {

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t - seconds).count();
  return fmt::format("{:%FT%T}.{:09}Z", seconds, ns);
}

// Pairs as an object; a repeated name keeps its values joined with ", " (as HTTP allows).
Json pairs_to_object(const auto& pairs) {
  Json o = Json::object();
  for (auto [k, v] : pairs) {
    std::string key(k);
    if (o.contains(key)) {
      o[key] = o[key].template get<std::string>() + ", " + std::string(v);
    } else {
      o[key] = std::string(v);
    }
  }
  return o;
}

// A body as text when it is printable, else base64, under the given keys.
void put_body(Json& j, std::string_view body, const char* text_key, const char* base64_key) {
  if (body.empty()) return;
  if (engine::printable_utf8(body)) {
    j[text_key] = std::string(body);
  } else {
    j[base64_key] = engine::base64_encode(body);
  }
}

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
  return Json{{"nimbusTape", format},
              {"function", {{"name", function_name}, {"version", function_version}}},
              {"created", created},
              {"source", source},
              {"redactedHeaders", redacted_headers}};
}

Json TapeRecord::to_json() const {
  return Json{{"seq", seq},   {"event", event},       {"calls", calls},
              {"logs", logs}, {"response", response}, {"timing", {{"durationMs", duration_ms}}}};
}

Json event_to_json(const Event& e) {
  Json j{{"id", std::string(e.id())},
         {"trigger", {{"kind", std::string(e.trigger_kind())}, {"name", std::string(e.trigger_name())}}}};
  if (!e.method().empty()) j["method"] = std::string(e.method());
  if (!e.path().empty()) j["path"] = std::string(e.path());
  if (!e.url().empty()) j["url"] = std::string(e.url());
  if (e.headers().size() > 0) j["headers"] = pairs_to_object(e.headers());
  if (e.fields().size() > 0) j["fields"] = pairs_to_object(e.fields());
  j["contentType"] = std::string(e.content_type());
  put_body(j, e.body(), "body", "bodyBase64");
  j["timestamp"] = rfc3339(e.timestamp());
  if (auto ce = e.cloud_event()) {
    Json c{{"type", std::string(ce->type)},
           {"source", std::string(ce->source)},
           {"specversion", std::string(ce->spec_version)}};
    if (!ce->subject.empty()) c["subject"] = std::string(ce->subject);
    if (!ce->time.empty()) c["time"] = std::string(ce->time);
    j["cloudEvent"] = std::move(c);
  }
  if (auto s = e.stream()) {
    j["stream"] = {{"topic", std::string(s->topic)}, {"partition", s->partition}, {"offset", s->offset}};
  }
  return j;
}

Json response_to_json(const Response& r) {
  Json j{{"status", r.status()}};
  if (!r.content_type().empty()) j["contentType"] = r.content_type();
  if (!r.headers().empty()) j["headers"] = pairs_to_object(r.headers());
  put_body(j, r.body(), "body", "bodyBase64");
  return j;
}

Json log_to_json(const LogRecord& record) {
  Json j{{"level", to_string(record.level)}, {"message", record.message}};
  if (!record.fields.empty()) j["fields"] = record.fields;
  if (!record.logger.empty()) j["logger"] = record.logger;
  return j;
}

// --- writing ---------------------------------------------------------------

Result<std::unique_ptr<TapeWriter>> TapeWriter::open(const std::filesystem::path& path, TapeHeader header,
                                                     Redaction redaction) noexcept {
  try {
    std::unique_ptr<TapeWriter> w(new TapeWriter());
    w->out_.open(path, std::ios::binary | std::ios::trunc);
    if (!w->out_) return Error{"cannot write the tape " + path.string() + ": " + std::strerror(errno)};
    header.redacted_headers = redaction.headers;
    // Secrets shorter than 4 characters would redact ordinary text: leave them.
    std::erase_if(redaction.secrets, [](const std::string& s) { return s.size() < 4; });
    w->redaction_ = std::move(redaction);
    w->out_ << header.to_json().dump() << '\n';
    w->out_.flush();
    return w;
  } catch (const std::exception& e) {
    return Error{"cannot write the tape " + path.string() + ": " + e.what()};
  }
}

void TapeWriter::redact(Json& j) const {
  if (j.is_string()) {
    if (redaction_.secrets.empty()) return;
    auto s = j.get<std::string>();
    bool changed = false;
    for (const auto& secret : redaction_.secrets) {
      for (std::size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at)) {
        s.replace(at, secret.size(), kRedacted);
        at += std::strlen(kRedacted);
        changed = true;
      }
    }
    if (changed) j = s;
  } else if (j.is_structured()) {
    for (auto& child : j) redact(child);
  }
}

void TapeWriter::write(TapeRecord record) {
  auto hide_headers = [&](Json& owner) {
    if (!owner.contains("headers") || !owner["headers"].is_object()) return;
    for (auto& [name, value] : owner["headers"].items()) {
      for (const auto& secret : redaction_.headers) {
        if (engine::iequals(name, secret)) value = kRedacted;
      }
    }
  };
  hide_headers(record.event);
  hide_headers(record.response);
  record.seq = written_ + 1;
  Json j = record.to_json();
  redact(j);
  out_ << j.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
  out_.flush();
  ++written_;
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

std::optional<Result<TapeRecord>> TapeReader::next() {
  std::string text;
  while (std::getline(in_, text)) {
    ++line_;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines are allowed
    try {
      Json j = Json::parse(text);
      auto record = record_from_json(j);
      if (!record)
        return Result<TapeRecord>(Error{name_ + ":" + std::to_string(line_) + ": " + record.error().message});
      return record;
    } catch (const Json::parse_error& e) {
      std::string why = e.what();
      if (auto at = why.find(']'); at != std::string::npos) why = why.substr(at + 2);
      return Result<TapeRecord>(
          Error{name_ + ":" + std::to_string(line_) + ": truncated or corrupt record: " + why});
    }
  }
  return std::nullopt;
}

}  // namespace nimbus::recorder
