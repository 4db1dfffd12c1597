#include "nimbus/emulator/reporter.hpp"

#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/log_json.hpp"
#include "nimbus/format/record.hpp"
#include "nimbus/format/text.hpp"
#include "nimbus/format/time_text.hpp"

namespace nimbus::emulator {
namespace {

const char* level_color(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "2";
    case LogLevel::kInfo:
      return "36";
    case LogLevel::kWarn:
      return "33";
    case LogLevel::kError:
      return "31;1";
  }
  return "0";
}

}  // namespace

std::string Reporter::paint(std::string_view text, const char* code) const {
  if (!o_.color) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void Reporter::also_to(std::vector<std::unique_ptr<engine::LogEntrySink>> sinks, std::string function,
                       std::string version) {
  sinks_ = std::move(sinks);
  function_ = std::move(function);
  version_ = std::move(version);
}

void Reporter::forward(const LogRecord& record) {
  fields_.clear();
  if (!record.fields.empty()) format::append_json(fields_, record.fields);
  const engine::LogEntry entry{.worker = 0,
                               .level = record.level,
                               .time = record.time,
                               .message = record.message,
                               .fields_json = fields_,
                               .logger = record.logger,
                               .event_id = event_id_,
                               .trace_id = trace_id_,
                               .function = function_,
                               .version = version_,
                               .trigger = trigger_,
                               .trigger_kind = trigger_kind_};
  for (auto& sink : sinks_) sink->write(entry);
}

void Reporter::flush_sinks() noexcept {
  for (auto& sink : sinks_) sink->flush();
}

void Reporter::begin_event(const Event& event, std::string_view origin) {
  event_id_ = event.id();
  if (!sinks_.empty()) {
    trigger_ = event.trigger_name();
    trigger_kind_ = event.trigger_kind();
    trace_id_ = event.trace_id();
  }
  if (o_.quiet) return;
  origin_ = origin;
  if (o_.json) return;
  std::string what = event.method().empty() ? std::string(event.trigger_kind())
                                            : fmt::format("{} {}", event.method(), event.url());
  out_ << paint(fmt::format("── {}", event.id()), "1") << "  " << what;
  if (!origin.empty()) out_ << "  " << paint(fmt::format("({})", origin), "2");
  out_ << '\n';
}

void Reporter::write(const LogRecord& record) {
  if (!sinks_.empty()) forward(record);
  if (o_.quiet) return;
  if (o_.json) {
    // The tape's record shape, with a time, after what says which event it belongs to.
    std::string lead = R"("type":"log","event":)";
    detail::append_json_string(lead, event_id_);
    lead += ',';
    format::LogJsonStyle style;
    style.time = true;
    style.lead = lead;
    std::string line;
    format::append_log_json(line, format::log_line(record, scratch_), style);
    out_ << line << '\n';
    return;
  }
  std::string line = fmt::format(
      "   {}  {}  {}", paint(format::rfc3339(record.time).substr(11, 12), "2"),
      paint(fmt::format("{:<5}", to_string(record.level)), level_color(record.level)), record.message);
  if (!record.logger.empty()) line += paint(fmt::format("  [{}]", record.logger), "2");
  for (const auto& [k, v] : record.fields.items()) {
    std::string value;
    if (v.is_string()) {
      value = v.get<std::string>();
    } else {
      format::append_json(value, v);  // never throws on bytes that are not UTF-8, as dump() would
    }
    line += "  " + paint(k + "=", "2") + value;
  }
  out_ << line << '\n';
}

void Reporter::end_event(const Response& response, std::chrono::nanoseconds took) {
  flush_sinks();
  if (o_.quiet) return;
  double ms = static_cast<double>(took.count()) / 1e6;
  const bool text = format::printable_utf8(response.body());
  if (o_.json) {
    // The tape's response members, after what says which event it answers, and how long it took.
    std::string line = R"({"type":"response","event":)";
    detail::append_json_string(line, event_id_);
    line += R"(,"origin":)";
    detail::append_json_string(line, origin_);
    line += ',';
    format::append_response_members(line, response);
    {
      format::JsonWriter w(line);
      w.lit(R"("durationMs":)");
      w.millis(ms);
      w.ch('}');
    }
    out_ << line << '\n';
    if (o_.live) out_.flush();
    return;
  }
  const int s = response.status();
  const char* color = s >= 500 ? "31;1" : s >= 400 ? "33" : "32";
  out_ << "   " << paint(std::to_string(s), color);
  if (!response.content_type().empty()) out_ << "  " << response.content_type();
  out_ << paint(fmt::format("  {:.2f} ms", ms), "2") << '\n';
  for (const auto& [k, v] : response.headers()) out_ << "   " << paint(k + ": ", "2") << v << '\n';
  if (!response.body().empty()) {
    if (text) {
      std::string_view body = response.body();
      while (!body.empty()) {
        auto nl = body.find('\n');
        out_ << "   " << body.substr(0, nl) << '\n';
        if (nl == std::string_view::npos) break;
        body.remove_prefix(nl + 1);
      }
    } else {
      out_ << "   " << paint(fmt::format("<{} bytes of binary body>", response.body().size()), "2") << '\n';
    }
  }
  if (o_.live) out_.flush();
}

void Reporter::error(std::string_view origin, std::string_view message) {
  err_ << paint("error: ", "31;1") << message << '\n';
  if (o_.json) {
    std::string line = R"({"type":"error","origin":)";
    detail::append_json_string(line, origin);
    line += R"(,"message":)";
    detail::append_json_string(line, message);
    out_ << line << "}\n";
  }
  if (o_.live) out_.flush();
}

void Reporter::notice(std::string_view message, bool warning) {
  err_ << paint(warning ? "warning: " : "nimbus: ", warning ? "33" : "2") << message << '\n';
  if (o_.json) {
    std::string line = R"({"type":"notice","warning":)";
    line += warning ? "true" : "false";
    line += R"(,"message":)";
    detail::append_json_string(line, message);
    out_ << line << "}\n";
  }
  if (o_.live) out_.flush();
}

void Reporter::ready(std::string_view function, const Json& triggers) {
  if (o_.json) {
    std::string line = R"({"type":"ready","function":)";
    detail::append_json_string(line, function);
    line += R"(,"triggers":)";
    format::append_json(line, triggers);
    out_ << line << "}\n";
    out_.flush();
    return;
  }
  std::string list;
  for (const auto& t : triggers) {
    if (!list.empty()) list += ", ";
    list += fmt::format("{} '{}'", t.value("kind", ""), t.value("name", ""));
    if (t.contains("port")) list += fmt::format(" on {}:{}", t.value("host", ""), t["port"].dump());
    if (t.contains("nextTick")) list += fmt::format(" (next tick {})", t.value("nextTick", ""));
  }
  err_ << paint(fmt::format("nimbus: {} runs on its triggers: {}; Ctrl-C stops", function, list), "1")
       << '\n';
  err_.flush();
}

void Reporter::metrics(const std::vector<MetricSample>& samples) {
  if (samples.empty() || o_.quiet) return;
  std::string line;
  if (o_.json) {
    line = R"({"type":"metrics","metrics":[)";
    for (const auto& s : samples) {
      if (&s != samples.data()) line += ',';
      line += R"({"name":)";
      detail::append_json_string(line, s.name);
      line += R"(,"kind":)";
      detail::append_json_string(line, to_string(s.kind));
      line += R"(,"labels":)";
      detail::append_json_string(line, s.labels);
      if (s.kind == MetricKind::kHistogram) {
        fmt::format_to(std::back_inserter(line), R"(,"count":{},"sum":)", s.count);
        format::append_json(line, Json(s.sum));  // NaN and infinities as null
      } else {
        line += R"(,"value":)";
        format::append_json(line, Json(s.value));
      }
      line += '}';
    }
    out_ << line << "]}\n";
    return;
  }
  for (const auto& s : samples) {
    const std::string series = s.labels.empty() ? s.name : s.name + "{" + s.labels + "}";
    if (s.kind == MetricKind::kHistogram) {
      err_ << paint(fmt::format("metric {} (histogram): count {}, sum {}", series, s.count, s.sum), "2")
           << '\n';
    } else {
      err_ << paint(fmt::format("metric {} ({}): {}", series, to_string(s.kind), s.value), "2") << '\n';
    }
  }
}

void Reporter::summary(std::size_t ok, std::size_t failed, std::size_t unreadable) {
  flush_sinks();
  if (o_.json || o_.quiet) return;
  std::string line = fmt::format("{} event{}: {} ok, {} failed", ok + failed + unreadable,
                                 ok + failed + unreadable == 1 ? "" : "s", ok, failed);
  if (unreadable > 0) line += fmt::format(", {} unreadable", unreadable);
  err_ << paint(line, failed + unreadable > 0 ? "31;1" : "32") << '\n';
}

}  // namespace nimbus::emulator
