#include "metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace nimbus::detail {
namespace {

// A sample value as Prometheus reads it: the shortest text that reads back the same, or NaN, +Inf, -Inf.
void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

// One line: `name{function="f",labels[,extra]} value`.
void append_series(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view function, std::string_view labels, std::string_view extra, double value) {
  out += name;
  out += suffix;
  out += '{';
  append_label(out, "function", function);
  if (!labels.empty()) (out += ',') += labels;
  if (!extra.empty()) (out += ',') += extra;
  out += "} ";
  append_number(out, value);
  out += '\n';
}

void render_function_metrics(std::string& out, const FunctionFigures& f) {
  std::string_view last_name;
  std::string le;
  for (const auto& [key, s] : f.totals->series()) {
    if (s.name != last_name) {
      fmt::format_to(std::back_inserter(out), "# TYPE {} {}\n", s.name, to_string(s.kind));
      last_name = s.name;
    }
    if (s.kind != MetricKind::kHistogram) {
      append_series(out, s.name, "", f.function, s.labels, "", s.value);
      continue;
    }
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < s.buckets.size(); ++b) {
      cumulative += s.buckets[b];
      le = "le=\"";
      if (b < s.bounds.size()) {
        append_number(le, s.bounds[b]);
      } else {
        le += "+Inf";
      }
      le += '"';
      append_series(out, s.name, "_bucket", f.function, s.labels, le, static_cast<double>(cumulative));
    }
    append_series(out, s.name, "_sum", f.function, s.labels, "", s.sum);
    append_series(out, s.name, "_count", f.function, s.labels, "", static_cast<double>(s.count));
  }
}

}  // namespace

std::string render_metrics(std::span<const TriggerFigures> triggers, std::span<const SinkFigures> sinks,
                           bool ready, const FunctionFigures& function) {
  std::string out;
  auto o = std::back_inserter(out);
  fmt::format_to(o,
                 "# HELP nimbus_events_total Events answered, by trigger and HTTP status.\n"
                 "# TYPE nimbus_events_total counter\n");
  for (const auto& t : triggers) {
    for (int status = 100; status < 600; ++status) {
      if (const std::uint64_t n = t.stats->events(status); n != 0) {
        fmt::format_to(o, "nimbus_events_total{{trigger=\"{}\",status=\"{}\"}} {}\n", t.trigger, status, n);
      }
    }
  }
  fmt::format_to(o,
                 "# HELP nimbus_event_duration_seconds Time from an event's arrival to its answer.\n"
                 "# TYPE nimbus_event_duration_seconds histogram\n");
  for (const auto& t : triggers) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < engine::TriggerStats::kBuckets.size(); ++b) {
      cumulative += t.stats->buckets()[b];
      fmt::format_to(o, "nimbus_event_duration_seconds_bucket{{trigger=\"{}\",le=\"{}\"}} {}\n", t.trigger,
                     engine::TriggerStats::kBuckets[b], cumulative);
    }
    fmt::format_to(o, "nimbus_event_duration_seconds_bucket{{trigger=\"{}\",le=\"+Inf\"}} {}\n", t.trigger,
                   t.stats->count());
    fmt::format_to(o, "nimbus_event_duration_seconds_sum{{trigger=\"{}\"}} {}\n", t.trigger,
                   t.stats->latency_sum());
    fmt::format_to(o, "nimbus_event_duration_seconds_count{{trigger=\"{}\"}} {}\n", t.trigger,
                   t.stats->count());
  }
  auto gauge = [&](const char* name, const char* type, const char* help, auto value) {
    fmt::format_to(o, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const auto& t : triggers) fmt::format_to(o, "{}{{trigger=\"{}\"}} {}\n", name, t.trigger, value(t));
  };
  gauge("nimbus_worker_restarts_total", "counter", "Workers replaced after a crash or a timeout.",
        [](const TriggerFigures& t) { return t.worker_restarts; });
  gauge("nimbus_queue_depth", "gauge", "Events given to workers and not yet answered.",
        [](const TriggerFigures& t) { return t.queue_depth; });
  gauge("nimbus_workers", "gauge", "Workers in the pool.", [](const TriggerFigures& t) { return t.workers; });
  if (!sinks.empty()) {
    fmt::format_to(o,
                   "# HELP nimbus_log_records_dropped_total Log records a sink could not deliver.\n"
                   "# TYPE nimbus_log_records_dropped_total counter\n");
    for (const auto& sink : sinks) {
      fmt::format_to(o, "nimbus_log_records_dropped_total{{sink=\"{}\",index=\"{}\"}} {}\n", sink.kind,
                     sink.index, sink.dropped);
    }
  }
  fmt::format_to(o,
                 "# HELP nimbus_ready 1 while the processor accepts events.\n"
                 "# TYPE nimbus_ready gauge\n"
                 "nimbus_ready {}\n",
                 ready ? 1 : 0);
  if (function.totals != nullptr) render_function_metrics(out, function);
  return out;
}

}  // namespace nimbus::detail
