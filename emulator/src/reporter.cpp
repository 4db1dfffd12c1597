#include "nimbus/emulator/reporter.hpp"

#include <ctime>

#include "nimbus/engine/encoding.hpp"

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

std::string format_time(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];  // NOLINT(cppcoreguidelines-avoid-c-arrays,modernize-avoid-c-arrays): strftime's buffer
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf, n) + fmt::format(".{:03d}Z", ms % 1000);
}

std::string Reporter::paint(std::string_view text, const char* code) const {
  if (!o_.color) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void Reporter::begin_event(const Event& event, std::string_view origin) {
  if (o_.quiet) return;
  event_id_ = event.id();
  origin_ = origin;
  if (o_.json) return;
  std::string what = event.method().empty() ? std::string(event.trigger_kind())
                                            : fmt::format("{} {}", event.method(), event.url());
  out_ << paint(fmt::format("── {}", event.id()), "1") << "  " << what << "  "
       << paint(fmt::format("({})", origin), "2") << '\n';
}

void Reporter::write(const LogRecord& record) {
  if (o_.quiet) return;
  if (o_.json) {
    Json j{{"type", "log"},
           {"event", event_id_},
           {"level", to_string(record.level)},
           {"message", record.message},
           {"fields", record.fields},
           {"time", format_time(record.time)}};
    if (!record.logger.empty()) j["logger"] = record.logger;
    out_ << j.dump() << '\n';
    return;
  }
  std::string line = fmt::format(
      "   {}  {}  {}", paint(format_time(record.time).substr(11, 12), "2"),
      paint(fmt::format("{:<5}", to_string(record.level)), level_color(record.level)), record.message);
  if (!record.logger.empty()) line += paint(fmt::format("  [{}]", record.logger), "2");
  for (const auto& [k, v] : record.fields.items()) {
    line += "  " + paint(k + "=", "2") + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  out_ << line << '\n';
}

void Reporter::end_event(const Response& response, std::chrono::nanoseconds took) {
  if (o_.quiet) return;
  double ms = static_cast<double>(took.count()) / 1e6;
  const bool text = engine::printable_utf8(response.body());
  if (o_.json) {
    Json headers = Json::object();
    for (const auto& [k, v] : response.headers()) headers[k] = v;
    Json j{{"type", "response"},
           {"event", event_id_},
           {"origin", origin_},
           {"status", response.status()},
           {"content_type", response.content_type()},
           {"headers", headers}};
    if (text) {
      j["body"] = response.body();
    } else {
      j["body_base64"] = engine::base64_encode(response.body());
    }
    j["duration_ms"] = ms;
    out_ << j.dump() << '\n';
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
}

void Reporter::error(std::string_view origin, std::string_view message) {
  err_ << paint("error: ", "31;1") << message << '\n';
  if (o_.json) out_ << Json{{"type", "error"}, {"origin", origin}, {"message", message}}.dump() << '\n';
}

void Reporter::summary(std::size_t ok, std::size_t failed, std::size_t unreadable) {
  if (o_.json || o_.quiet) return;
  std::string line = fmt::format("{} event{}: {} ok, {} failed", ok + failed + unreadable,
                                 ok + failed + unreadable == 1 ? "" : "s", ok, failed);
  if (unreadable > 0) line += fmt::format(", {} unreadable", unreadable);
  err_ << paint(line, failed + unreadable > 0 ? "31;1" : "32") << '\n';
}

}  // namespace nimbus::emulator
