// `nimbus events new <kind>`: a ready-to-edit event file carrying every field a production event
// of that kind has, so that a file run reproduces a stream event exactly. Written by the tape's
// own event encoder (format::RecordText), so what it prints is what a recording would hold.
#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "nimbus/detail/event_data.hpp"
#include "nimbus/format/record.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::cli {
namespace {

constexpr std::array<std::string_view, 7> kKinds = {"http", "cloudevent", "cron", "nats",
                                                    "mqtt", "kafka",      "redis"};

// A sample event of `kind`, as its trigger would make it.
detail::EventData sample(std::string_view kind) {
  detail::EventData d;
  d.timestamp = std::chrono::system_clock::now();
  d.trigger_name = std::string(kind);
  if (kind == "http" || kind == "cloudevent") {
    d.id = "http-1";
    d.trigger_kind = "http";
    d.method = "POST";
    d.path = "/orders";
    d.url = "/orders?source=web";
    d.fields = {{"source", "web"}};
    d.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", "r-1"}};
    d.content_type = "application/json";
    d.body = R"({"order":17})";
  }
  if (kind == "cloudevent") {
    d.id = "ce-1";
    d.ce_type = "com.example.order.created";
    d.ce_source = "/shop";
    d.ce_spec_version = "1.0";
    d.ce_subject = "17";
    d.ce_time = "2026-12-01T10:00:00Z";
    d.ce_data_schema = "https://example.com/schemas/order.json";
    d.ce_extensions = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
    d.headers.insert(d.headers.end(), {{"ce-specversion", "1.0"},
                                       {"ce-id", "ce-1"},
                                       {"ce-source", "/shop"},
                                       {"ce-type", "com.example.order.created"}});
  }
  if (kind == "cron") {
    d.id = "tick-1";
    d.trigger_kind = "cron";
    d.path = "/refresh";
    d.content_type = "text/plain; charset=utf-8";
    d.body = "tick";
  }
  if (kind == "nats" || kind == "mqtt" || kind == "kafka" || kind == "redis") {
    d.has_stream = true;
    d.topic = "orders";
    d.path = "orders";
    d.content_type = "application/json";
    d.body = R"({"order":17})";
    d.headers = {{"Content-Type", "application/json"}, {"X-Key", "17"}};
    d.last_in_batch = true;
  }
  if (kind == "nats") {
    d.id = "nats-1";
    d.trigger_kind = "nats";
    d.topic = d.path = "orders.eu";
  } else if (kind == "mqtt") {
    d.id = "mqtt-1";
    d.trigger_kind = "mqtt";
    d.topic = d.path = "shop/orders";
  } else if (kind == "kafka") {
    d.id = "orders-2-1234";
    d.trigger_kind = "kafka-cluster";
    d.partition = 2;
    d.num_shards = 6;
    d.offset = 1234;
  } else if (kind == "redis") {
    d.id = "1764583200000-0";
    d.trigger_kind = "redis-stream";
    d.num_shards = 1;
    d.offset = 1764583200000;
    d.headers = {{"content-type", "application/json"}, {"X-Key", "17"}};
    d.timestamp = std::chrono::system_clock::time_point(std::chrono::milliseconds(d.offset));
  }
  return d;
}

}  // namespace

int events_command(int argc, char** argv) {
  cxxopts::Options opts("nimbus events", "Write event files.");
  opts.custom_help("new <" + format::join(kKinds, "|") + "> [-o FILE]");
  opts.positional_help("");
  opts.add_options()("verb", "new", cxxopts::value<std::string>())("kind", "the kind of event",
                                                                   cxxopts::value<std::string>())(
      "o,output", "write it to FILE instead of standard output", cxxopts::value<std::string>())(
      "h,help", "show this help");
  cxxopts::ParseResult args;
  if (auto done = parse_command(opts, argc, argv, "events", args, {"verb", "kind"})) return *done;
  if (args.count("verb") == 0U || args["verb"].as<std::string>() != "new") {
    return fail("events: expected 'nimbus events new <kind>' (kinds: " + format::join(kKinds) + ")");
  }
  const std::string kind = args.count("kind") != 0U ? args["kind"].as<std::string>() : "";
  if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end()) {
    return fail("events new: " + (kind.empty() ? std::string("name a kind") : "unknown kind '" + kind + "'") +
                " (kinds: " + format::join(kKinds) + ")");
  }
  const detail::EventBuffer event(sample(kind));
  format::RecordText text;
  text.event(event.event());
  const std::string pretty = Json::parse(text.event_json()).dump(2) + "\n";
  if (args.count("output") == 0U) {
    std::cout << pretty;
    return 0;
  }
  const std::string path = args["output"].as<std::string>();
  std::ofstream out(path);
  if (!(out << pretty)) return fail("events new: cannot write " + path);
  std::cerr << "nimbus: wrote a " << kind << " event to " << path << "\n";
  return 0;
}

}  // namespace nimbus::cli
