#include "nimbus/format/log_json.hpp"

#include <cstdint>

#include "nimbus/format/json_text.hpp"
#include "nimbus/format/json_writer.hpp"

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

}  // namespace nimbus::format
