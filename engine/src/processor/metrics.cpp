#include "metrics.hpp"

#include <fmt/format.h>

#include <iterator>

namespace nimbus::engine::detail {

void Metrics::record(int status, std::chrono::nanoseconds latency) noexcept {
  if (status >= 100 && status < 600) ++by_status_[static_cast<std::size_t>(status - 100)];
  const double seconds = std::chrono::duration<double>(latency).count();
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++buckets_[b];
  latency_sum_ += seconds;
  ++count_;
}

std::string Metrics::render(const Gauges& g) const {
  std::string out;
  auto o = std::back_inserter(out);
  fmt::format_to(o,
                 "# HELP nimbus_events_total Events answered, by trigger and HTTP status.\n"
                 "# TYPE nimbus_events_total counter\n");
  for (std::size_t i = 0; i < by_status_.size(); ++i) {
    if (by_status_[i] != 0) {
      fmt::format_to(o, "nimbus_events_total{{trigger=\"{}\",status=\"{}\"}} {}\n", trigger_, i + 100,
                     by_status_[i]);
    }
  }
  fmt::format_to(o,
                 "# HELP nimbus_event_duration_seconds Time from a request's arrival to its answer.\n"
                 "# TYPE nimbus_event_duration_seconds histogram\n");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += buckets_[b];
    fmt::format_to(o, "nimbus_event_duration_seconds_bucket{{trigger=\"{}\",le=\"{}\"}} {}\n", trigger_,
                   kBuckets[b], cumulative);
  }
  fmt::format_to(o, "nimbus_event_duration_seconds_bucket{{trigger=\"{}\",le=\"+Inf\"}} {}\n", trigger_,
                 count_);
  fmt::format_to(o, "nimbus_event_duration_seconds_sum{{trigger=\"{}\"}} {}\n", trigger_, latency_sum_);
  fmt::format_to(o, "nimbus_event_duration_seconds_count{{trigger=\"{}\"}} {}\n", trigger_, count_);
  fmt::format_to(o,
                 "# HELP nimbus_worker_restarts_total Workers replaced after a crash or a timeout.\n"
                 "# TYPE nimbus_worker_restarts_total counter\n"
                 "nimbus_worker_restarts_total{{trigger=\"{0}\"}} {1}\n"
                 "# HELP nimbus_queue_depth Events given to workers and not yet answered.\n"
                 "# TYPE nimbus_queue_depth gauge\n"
                 "nimbus_queue_depth{{trigger=\"{0}\"}} {2}\n"
                 "# HELP nimbus_workers Workers in the pool.\n"
                 "# TYPE nimbus_workers gauge\n"
                 "nimbus_workers{{trigger=\"{0}\"}} {3}\n"
                 "# HELP nimbus_ready 1 while the processor accepts events.\n"
                 "# TYPE nimbus_ready gauge\n"
                 "nimbus_ready {4}\n",
                 trigger_, g.worker_restarts, g.queue_depth, g.workers, g.ready ? 1 : 0);
  return out;
}

}  // namespace nimbus::engine::detail
