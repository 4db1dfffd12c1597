#include "nimbus/format/record.hpp"

#include <algorithm>
#include <iterator>

#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/log_json.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::format {
namespace {

// A body as text when it is printable, else base64.
void body_member(JsonWriter& w, std::string_view body) {
  if (body.empty()) return;
  if (printable_utf8(body)) {
    w.member(R"("body":)", body);
  } else {
    w.member(R"("bodyBase64":)", base64_encode(body));
  }
}

// Pairs as an object; a repeated name keeps its values joined with ", " (as HTTP allows).
void write_pairs(JsonWriter& w, const auto& pairs, const std::vector<std::string>* redacted) {
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
    const bool hidden =
        redacted != nullptr && std::any_of(redacted->begin(), redacted->end(),
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

}  // namespace

void RecordText::clear() noexcept {
  event_.clear();
  calls_.clear();
  logs_.clear();
  response_.clear();
}

void RecordText::event(const Event& e) {
  event_.clear();
  JsonWriter w(event_, 256 + e.bytes().size());
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
    write_pairs(w, e.headers(), &redacted_headers_);
    w.ch(',');
  }
  if (e.fields().size() > 0) {
    w.lit(R"("fields":)");
    write_pairs(w, e.fields(), nullptr);
    w.ch(',');
  }
  w.member(R"("contentType":)", e.content_type());
  body_member(w, e.body());
  w.lit(R"("timestamp":)");
  w.time(e.timestamp(), 9);  // to the nanosecond
  w.ch(',');
  if (auto ce = e.cloud_event()) {
    w.lit(R"("cloudEvent":{)");
    w.member(R"("type":)", ce->type);
    w.member(R"("source":)", ce->source);
    w.member(R"("specversion":)", ce->specversion);
    if (!ce->subject.empty()) w.member(R"("subject":)", ce->subject);
    if (!ce->time.empty()) w.member(R"("time":)", ce->time);
    if (!ce->dataschema.empty()) w.member(R"("dataschema":)", ce->dataschema);
    if (!ce->extensions.empty()) {
      w.lit(R"("extensions":)");
      write_pairs(w, ce->extensions, nullptr);
      w.ch(',');
    }
    w.close_object();
    w.ch(',');
  }
  if (auto st = e.stream()) {
    w.lit(R"("stream":{)");
    w.member(R"("topic":)", st->topic);
    w.lit(R"("partition":)");
    w.number(st->shard_id);
    if (st->num_shards != 0) {
      w.lit(R"(,"numShards":)");
      w.number(st->num_shards);
    }
    w.lit(R"(,"offset":)");
    w.number(st->offset);
    if (e.last_in_batch()) w.lit(R"(,"lastInBatch":true)");
    w.lit("},");
  }
  w.close_object();
}

void RecordText::call(std::string_view binding, std::string_view operation, std::string_view arguments_json,
                      std::string_view result_json, std::optional<std::string_view> error) {
  JsonWriter w(calls_, 128 + arguments_json.size() + result_json.size());
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

void RecordText::call(const detail::BindingCall& c, std::string_view result_json, const std::string* error) {
  call(c.binding, c.operation, c.arguments, result_json,
       error != nullptr ? std::optional<std::string_view>(*error) : std::nullopt);
}

void RecordText::log(LogLevel level, std::string_view message, std::string_view fields_json,
                     std::string_view logger) {
  if (!logs_.empty()) logs_ += ',';
  append_log_json(logs_, {level, message, fields_json, logger, {}});
}

void RecordText::log(const LogRecord& r) {
  const LogLine line = log_line(r, scratch_);
  log(line.level, line.message, line.fields_json, line.logger);
}

void RecordText::response(const Response& r) {
  response_.clear();
  response_ += '{';
  append_response_members(response_, r, redacted_headers_);
  if (response_.back() == ',') {
    response_.back() = '}';
  } else {
    response_ += '}';
  }
}

void append_response_members(std::string& out, const Response& r,
                             const std::vector<std::string>& redacted_headers) {
  JsonWriter w(out, 128 + r.content_type().size() + r.body().size());
  w.lit(R"("status":)");
  w.number(r.status());
  w.ch(',');
  if (!r.content_type().empty()) w.member(R"("contentType":)", r.content_type());
  if (!r.headers().empty()) {
    w.lit(R"("headers":)");
    write_pairs(w, r.headers(), &redacted_headers);
    w.ch(',');
  }
  body_member(w, r.body());
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
    JsonWriter w(out, 32);
    w.lit(R"({"seq":)");
    w.number(seq);
  }
  append_record_rest(out, parts, duration_ms);
}

void append_record_rest(std::string& out, const RecordParts& parts, double duration_ms) {
  JsonWriter w(out, 96 + parts.event.size() + parts.calls.size() + parts.logs.size() + parts.response.size());
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

// --- as JSON values ------------------------------------------------------------

namespace {

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

// "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ...".
std::string without_prefix(const Json::exception& e) {
  std::string why = e.what();
  if (auto at = why.find("] "); at != std::string::npos) why = why.substr(at + 2);
  return why;
}

}  // namespace

Json TapeRecord::to_json() const {
  return Json{{"seq", seq},   {"event", event},       {"calls", calls},
              {"logs", logs}, {"response", response}, {"timing", {{"durationMs", duration_ms}}}};
}

Result<TapeRecord> to_record(const RecordText& text, double duration_ms) noexcept {
  try {
    // The line as the tape would hold it: one parse, the same checks as a tape line's.
    std::string line;
    append_record_line(line, 0, text.parts(), duration_ms);
    auto record = record_from_json(Json::parse(line));
    if (record) record->duration_ms = duration_ms;
    return record;
  } catch (const Json::exception& e) {  // a syntax error, or a number out of range (1e999)
    return Error{"not a record: " + without_prefix(e)};
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

Result<TapeRecord> TapeLine::parse() const noexcept {
  try {
    auto record = record_from_json(Json::parse(text));
    if (!record) return Error{where + ": " + record.error().message};
    return record;
  } catch (const Json::exception& e) {  // a syntax error, or a number out of range (1e999)
    return Error{where + ": truncated or corrupt record: " + without_prefix(e)};
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

// --- read in place ----------------------------------------------------------------

Result<TapeLine> read_record_line(std::string text, std::size_t number, std::string where) noexcept {
  TapeLine line;
  line.number = number;
  line.where = std::move(where);
  auto fail = [&](const std::string& why) { return Error{line.where + ": " + why}; };
  try {
    line.text = std::move(text);
    const std::string_view t = line.text;
    // One pass: each member found once, the event indexed as it is read.
    auto record = JsonText::parse(t);
    if (!record) return fail("truncated or corrupt record: " + record.error().message);
    if (!record->is_object()) return fail("truncated or corrupt record: expected a record object");
    bool have_event = false;
    bool have_response = false;
    for (auto& [name, value] : record->items()) {
      const std::string_view v = value.text();
      const TapeLine::Span span{static_cast<std::size_t>(v.data() - t.data()), v.size()};
      if (name == "event" || name == "response") {
        if (!value.is_object()) return fail("field '" + name + "': missing or not an object");
        if (name == "event") {
          line.event = span;
          line.event_value = std::move(value);
          have_event = true;
        } else {
          line.response = span;
          have_response = true;
        }
      } else if (name == "calls" || name == "logs") {
        if (!value.is_array()) return fail("field '" + name + "': expected an array");
        (name == "calls" ? line.calls : line.logs) = span;
      }
    }
    if (!have_event) return fail("field 'event': missing or not an object");
    if (!have_response) return fail("field 'response': missing or not an object");
    return line;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace nimbus::format
