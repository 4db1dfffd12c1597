#include "line_format.hpp"

#include <charconv>

#include "nimbus/detail/json_string.hpp"
#include "nimbus/format/log_json.hpp"
#include "nimbus/format/time_text.hpp"

namespace nimbus::engine::logging {
namespace {

// `"name":"value",` when `value` is not empty.
void member(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  out += '"';
  out += name;
  out += "\":";
  detail::append_json_string(out, value);
  out += ',';
}

void append_int(std::string& out, long long n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

// `s` with the control characters that would break a line escaped (\n, \t, \u0001).
void append_escaped(std::string& out, std::string_view s) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\u00";
      out += kHex[u >> 4U];
      out += kHex[u & 15U];
    }
  }
}

void append_json_line(std::string& out, const LogEntry& e) {
  thread_local std::string tail;  // reused: a line costs no allocation once it has grown
  tail.clear();
  member(tail, "function", e.function);
  member(tail, "version", e.version);
  if (e.worker >= 0) {
    tail += R"("worker":)";
    append_int(tail, e.worker);
    tail += ',';
  }
  member(tail, "trigger", e.trigger);
  member(tail, "triggerKind", e.trigger_kind);
  member(tail, "event", e.event_id);
  member(tail, "traceId", e.trace_id);
  format::LogJsonStyle style;
  style.time = true;
  style.tail = tail;
  format::append_log_json(out, {e.level, e.message, e.fields_json, e.logger, e.time}, style);
  out += '\n';
}

void append_text_line(std::string& out, const LogEntry& e) {
  format::append_rfc3339(out, e.time, 3);
  out += ' ';
  const std::size_t level_at = out.size();
  for (const char c : to_string(e.level)) out += static_cast<char>(c - 'a' + 'A');
  out.append(6 - (out.size() - level_at), ' ');
  if (!e.logger.empty()) {
    out += '[';
    append_escaped(out, e.logger);
    out += "] ";
  }
  append_escaped(out, e.message);
  if (!e.fields_json.empty() && e.fields_json != "{}") {
    const Json fields = Json::parse(e.fields_json, nullptr, false);
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) {
        out += "  ";
        append_escaped(out, k);
        out += '=';
        if (v.is_string()) {
          append_escaped(out, v.get_ref<const std::string&>());
        } else {
          out += v.dump(-1, ' ', false, Json::error_handler_t::replace);
        }
      }
    }
  }
  // Whose it is, after what it says.
  std::string who;
  if (!e.function.empty()) {
    who += e.function;
    if (!e.version.empty()) (who += '@') += e.version;
  }
  auto add = [&](std::string_view label, std::string_view value) {
    if (value.empty()) return;
    if (!who.empty()) who += ' ';
    who += label;
    who += value;
  };
  std::string worker;
  if (e.worker >= 0) append_int(worker, e.worker);
  add("worker ", worker);
  add("", e.trigger);
  add("event ", e.event_id);
  add("trace ", e.trace_id);
  if (!who.empty()) {
    out += "  (";
    append_escaped(out, who);
    out += ')';
  }
  out += '\n';
}

}  // namespace

void append_line(std::string& out, const LogEntry& e, LineFormat format) {
  if (format == LineFormat::kText) {
    append_text_line(out, e);
  } else {
    append_json_line(out, e);
  }
}

Result<LineFormat> line_format(const Attributes& attributes) {
  auto f = string_attribute(attributes, "format", "json");
  if (!f) return f.error();
  if (*f == "json") return LineFormat::kJson;
  if (*f == "text") return LineFormat::kText;
  return Error{attributes.where + ".format: expected json or text, got '" + *f + "'"};
}

}  // namespace nimbus::engine::logging
