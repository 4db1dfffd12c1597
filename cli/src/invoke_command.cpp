// `nimbus invoke <url> --event FILE|DIR`: sends event files to a running `nimbus serve` (or any
// HTTP endpoint) and shows each answer, and the function's logs it carried back, the way
// `nimbus run` shows them, with the same exit codes.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "nimbus/detail/event_data.hpp"
#include "nimbus/emulator/reporter.hpp"
#include "nimbus/engine/http_client.hpp"
#include "nimbus/engine/log_capture.hpp"
#include "nimbus/format/cloud_event.hpp"
#include "nimbus/format/event_file.hpp"
#include "nimbus/format/log_json.hpp"
#include "nimbus/format/text.hpp"
#include "nimbus/platform.hpp"

namespace nimbus::cli {
namespace {

// What --cloudevent asks for.
enum class AsCloudEvent { kNo, kBinary, kStructured };

// Attributes an event file that is not a CloudEvent lacks, so that any event can be sent as one.
constexpr const char* kDefaultSource = "nimbus-invoke";
constexpr const char* kDefaultType = "dev.nimbus.event";

// The request for `event` (whose data is `data`): the event file's method, path, headers and body;
// as a CloudEvent when asked.
FunctionCall request_for(const Event& event, detail::EventData data, AsCloudEvent as,
                         std::string_view log_level) {
  FunctionCall call = FunctionCall::from_event(event);
  if (as != AsCloudEvent::kNo) {
    if (data.ce_spec_version.empty()) data.ce_spec_version = std::string(format::kCloudEventsVersion);
    if (data.ce_source.empty()) data.ce_source = kDefaultSource;
    if (data.ce_type.empty()) data.ce_type = kDefaultType;
    std::erase_if(call.headers, [](const auto& h) { return format::is_ce_header(h.first); });
    if (as == AsCloudEvent::kBinary) {
      for (auto& h : format::binary_cloud_event_headers(data)) call.headers.push_back(std::move(h));
    } else {
      call.body = format::structured_cloud_event(data);
      call.content_type = "application/cloudevents+json; charset=utf-8";
    }
  }
  // Logs back with the answer: Nimbus's header, and nuclio's for a nuclio processor.
  std::erase_if(call.headers, [](const auto& h) {
    return format::iequals(h.first, engine::kLogLevelHeader) ||
           format::iequals(h.first, engine::kNuclioLogLevelHeader);
  });
  call.headers.emplace_back(engine::kLogLevelHeader, log_level);
  call.headers.emplace_back(engine::kNuclioLogLevelHeader, log_level);
  return call;
}

bool logs_header(std::string_view name) {
  return format::iequals(name, engine::kLogsHeader) || format::iequals(name, engine::kNuclioLogsHeader);
}

// The log records an answer carried (X-Nimbus-Logs or X-Nuclio-Logs).
std::vector<LogRecord> carried_logs(const Response& response, std::vector<std::string>& problems) {
  std::vector<LogRecord> records;
  const auto received = std::chrono::system_clock::now();
  for (const char* name : {engine::kLogsHeader, engine::kNuclioLogsHeader}) {
    auto value = response.header(name);
    if (!value) continue;
    const Json list = Json::parse(*value, nullptr, false);
    if (!list.is_array()) {
      problems.push_back(std::string(name) + " is not a JSON array of log records");
    } else {
      for (const auto& item : list) {
        auto record = format::parse_log_json(item, received);
        if (record) {
          records.push_back(std::move(*record));
        } else {
          problems.push_back(std::string(name) + ": " + record.error().message);
        }
      }
    }
  }
  return records;
}

// The answer as shown: without the logs it carried, which are shown as logs.
Response without_logs(const Response& answer) {
  Response shown = Response::bytes(answer.body(), answer.content_type(), answer.status());
  for (const auto& [name, value] : answer.headers()) {
    if (!logs_header(name)) shown.with_header(name, value);
  }
  return shown;
}

// What the command line asks for.
struct InvokeOptions {
  std::string url;
  std::vector<std::string> events;
  AsCloudEvent as = AsCloudEvent::kNo;
  std::string level;
  LogLevel min_level = LogLevel::kDebug;
  std::chrono::milliseconds timeout{};
  emulator::ReporterOptions style;
};

void add_invoke_options(cxxopts::Options& opts) {
  opts.custom_help("<url> --event FILE|DIR [options]");
  opts.positional_help("");
  opts.add_options()("target", "the function's URL, e.g. http://127.0.0.1:8080",
                     cxxopts::value<std::string>())(
      "e,event", "event file, directory, .ndjson file, or - for stdin (repeatable)",
      cxxopts::value<std::vector<std::string>>())(
      "cloudevent",
      "send each event as a CloudEvent: binary or structured (an event that is not one gets source "
      "'nimbus-invoke' and type 'dev.nimbus.event')",
      cxxopts::value<std::string>())(
      "log-level", "lowest level of function logs asked for and shown: debug, info, warn, error",
      cxxopts::value<std::string>()->default_value("debug"))(
      "timeout", "how long to wait for each answer, e.g. 500ms or 30s",
      cxxopts::value<std::string>()->default_value("30s"))("json", "print one JSON object per line")(
      "color", "colour output: auto, always, never", cxxopts::value<std::string>()->default_value("auto"))(
      "h,help", "show this help");
}

Result<InvokeOptions> invoke_options(const cxxopts::ParseResult& args) {
  InvokeOptions o;
  if (args.count("target") == 0U) return Error{"name the function's URL (see 'nimbus invoke --help')"};
  o.url = args["target"].as<std::string>();
  if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0)
    return Error{"'" + o.url + "' is not an http:// or https:// URL"};
  if (args.count("event") == 0U) return Error{"name event files with --event (see 'nimbus invoke --help')"};
  o.events = args["event"].as<std::vector<std::string>>();
  const std::string color = args["color"].as<std::string>();
  if (color != "auto" && color != "always" && color != "never")
    return Error{"--color " + color + ": expected auto, always or never"};
  o.level = args["log-level"].as<std::string>();
  auto min_level = parse_log_level(o.level);
  if (!min_level) return Error{"--log-level " + o.level + ": expected debug, info, warn or error"};
  o.min_level = *min_level;
  auto timeout = engine::parse_duration(args["timeout"].as<std::string>());
  if (!timeout) return Error{"--timeout: " + timeout.error().message};
  o.timeout = *timeout;
  if (args.count("cloudevent") != 0U) {
    const std::string mode = args["cloudevent"].as<std::string>();
    if (mode != "binary" && mode != "structured")
      return Error{"--cloudevent " + mode + ": expected binary or structured"};
    o.as = mode == "binary" ? AsCloudEvent::kBinary : AsCloudEvent::kStructured;
  }
  o.style.json = args.count("json") != 0U;
  o.style.live = true;  // answers arrive one by one, from a process of its own
  o.style.color = !o.style.json && color_for(args);
  return o;
}

}  // namespace

int invoke_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus invoke",
                        "Send event files to a running function (nimbus serve, or any HTTP endpoint).");
  add_invoke_options(opts);
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "invoke", args)) return *done;
  auto o = invoke_options(args);
  if (!o) return fail("invoke: " + o.error().message);
  auto feed = format::EventFileFeed::open(o->events, {}, &std::cin);
  if (!feed) return fail("invoke: " + feed.error().message);

  emulator::Reporter reporter(std::cout, std::cerr, o->style);
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::size_t unreadable = 0;
  while (auto item = feed->next()) {
    if (!item->event) {
      reporter.error(item->origin, item->event.error().message);
      ++unreadable;
      continue;
    }
    const detail::EventBuffer shown(*item->event);
    const FunctionCall call = request_for(shown.event(), std::move(*item->event), o->as, o->level);
    reporter.begin_event(shown.event(), item->origin);
    const auto start = std::chrono::steady_clock::now();
    auto answer = engine::http_call(engine::join_url(o->url, call.path), call, o->timeout);
    const auto took = std::chrono::steady_clock::now() - start;
    if (!answer) {
      reporter.error(item->origin, answer.error().message);
      ++failed;
      continue;
    }
    std::vector<std::string> problems;
    for (const auto& record : carried_logs(*answer, problems)) {
      if (record.level >= o->min_level) reporter.write(record);
    }
    for (const auto& problem : problems) reporter.notice(item->origin + ": " + problem, true);
    reporter.end_event(without_logs(*answer), took);
    ++(answer->status() >= 500 ? failed : ok);
  }
  reporter.summary(ok, failed, unreadable);
  std::cout.flush();
  return failed + unreadable == 0 ? 0 : kExitFailed;
}

}  // namespace nimbus::cli
