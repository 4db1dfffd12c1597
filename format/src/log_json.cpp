#include "nimbus/format/log_json.hpp"

#include <cstdint>
#include <exception>

#include "nimbus/format/json_text.hpp"
#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/time_text.hpp"

namespace nimbus::format {
namespace {

bool no_fields(std::string_view fields_json) noexcept { return fields_json.empty() || fields_json == "{}"; }

// Milliseconds since the epoch to the nanosecond, as zap's epoch-millis encoder writes them
// (1764576000123.456789), exactly, from integers. No log record is from before 1970.
void epoch_millis(JsonWriter& w, std::chrono::system_clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  w.millionths(static_cast<std::uint64_t>(ns < 0 ? 0 : ns));
}

void nimbus_shape(JsonWriter& w, const LogLine& line, const LogJsonStyle& style) {
  if (style.time) {
    w.lit(R"("time":)");
    w.time(line.time, 3);
    w.ch(',');
  }
  w.lit(R"("level":")");
  w.raw(to_string(line.level));
  w.lit(R"(",)");
  w.member(R"("message":)", line.message);
  if (!no_fields(line.fields_json)) {
    w.lit(R"("fields":)");
    w.raw(line.fields_json);
    w.ch(',');
  }
  if (!line.logger.empty()) w.member(R"("logger":)", line.logger);
}

void nuclio_shape(JsonWriter& w, const LogLine& line, const LogJsonStyle& style) {
  w.lit(R"("level":")");
  w.raw(to_string(line.level));
  w.lit(R"(","time":)");
  epoch_millis(w, line.time);
  w.lit(R"(,"name":)");
  if (line.logger.empty()) {
    w.string(style.name);
  } else {
    std::string name(style.name);
    if (!name.empty()) name += '.';
    name += line.logger;
    w.string(name);
  }
  w.ch(',');
  w.member(R"("message":)", line.message);
  if (no_fields(line.fields_json)) return;
  auto fields = JsonText::parse(line.fields_json);
  if (!fields || !fields->is_object()) {  // never the case for fields Nimbus wrote; kept whole
    w.lit(R"("fields":)");
    w.raw(line.fields_json);
    w.ch(',');
    return;
  }
  for (const auto& [name, value] : fields->items()) {
    const bool taken = name == "level" || name == "time" || name == "name" || name == "message";
    w.string(taken ? name + "_" : name);
    w.ch(':');
    w.raw(value.text());
    w.ch(',');
  }
}

}  // namespace

LogLine log_line(const LogRecord& record, std::string& scratch) {
  scratch.clear();
  if (!record.fields.empty()) append_json(scratch, record.fields);
  return {record.level, record.message, scratch, record.logger, record.time};
}

void append_log_json(std::string& out, const LogLine& line, const LogJsonStyle& style) {
  JsonWriter w(out,
               96 + line.message.size() + line.fields_json.size() + style.lead.size() + style.tail.size());
  w.ch('{');
  w.raw(style.lead);
  if (style.shape == LogJsonStyle::Shape::kNuclio) {
    nuclio_shape(w, line, style);
  } else {
    nimbus_shape(w, line, style);
  }
  w.raw(style.tail);
  w.close_object();  // the last member's comma becomes the brace
}

Result<LogRecord> parse_log_json(const Json& record,
                                 std::chrono::system_clock::time_point received) noexcept {
  try {
    if (!record.is_object()) return Error{"a log record is not a JSON object"};
    LogRecord r;
    const auto level = record.find("level");
    if (level == record.end() || !level->is_string()) return Error{"a log record has no \"level\" string"};
    auto parsed = parse_log_level(level->get<std::string>());
    if (!parsed) return Error{"a log record's level '" + level->get<std::string>() + "' is not a level"};
    r.level = *parsed;
    const auto message = record.find("message");
    if (message == record.end() || !message->is_string())
      return Error{"a log record has no \"message\" string"};
    r.message = message->get<std::string>();
    r.time = received;
    const auto time = record.find("time");
    const auto name = record.find("name");
    if ((time != record.end() && time->is_number()) || name != record.end()) {  // nuclio's shape
      if (time != record.end() && time->is_number()) {
        const auto ns = static_cast<std::int64_t>(time->get<double>() * 1e6);
        r.time = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
      }
      if (name != record.end() && name->is_string()) {
        const auto& n = name->get_ref<const std::string&>();
        if (const auto dot = n.find('.'); dot != std::string::npos) r.logger = n.substr(dot + 1);
      }
      for (const auto& [key, value] : record.items()) {
        if (key == "level" || key == "time" || key == "name" || key == "message") continue;
        const std::string_view base = std::string_view(key).substr(0, key.size() - 1);
        const bool renamed = !key.empty() && key.back() == '_' &&
                             (base == "level" || base == "time" || base == "name" || base == "message");
        r.fields[renamed ? std::string(base) : key] = value;
      }
      return r;
    }
    if (time != record.end()) {
      if (!time->is_string()) return Error{"a log record's \"time\" is not a string"};
      auto t = parse_rfc3339(time->get<std::string>());
      if (!t) return Error{"a log record's time: " + t.error().message};
      r.time = *t;
    }
    if (const auto fields = record.find("fields"); fields != record.end()) {
      if (!fields->is_object()) return Error{"a log record's \"fields\" is not an object"};
      r.fields = *fields;
    }
    if (const auto logger = record.find("logger"); logger != record.end()) {
      if (!logger->is_string()) return Error{"a log record's \"logger\" is not a string"};
      r.logger = logger->get<std::string>();
    }
    return r;
  } catch (const std::exception& e) {
    return Error{std::string("a log record: ") + e.what()};
  }
}

}  // namespace nimbus::format
