#pragma once
// The processor's counters and their Prometheus text exposition.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace nimbus::engine::detail {

/// Point-in-time values the metrics page shows besides the counters.
struct Gauges {
  std::uint64_t worker_restarts = 0;
  std::size_t queue_depth = 0;  // events submitted to workers and not yet answered
  int workers = 0;
  bool ready = false;
};

/// Events by status and a latency histogram for one trigger. Used by the
/// event-loop thread only; rendering reads the same thread's values.
class Metrics {
 public:
  /// Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 17> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                      0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                                      0.5,     1,      2.5,     5,      10};

  explicit Metrics(std::string trigger) : trigger_(std::move(trigger)) {}

  /// Counts one answered event.
  void record(int status, std::chrono::nanoseconds latency) noexcept;
  /// The Prometheus text format (version 0.0.4).
  [[nodiscard]] std::string render(const Gauges& gauges) const;

  [[nodiscard]] std::uint64_t events(int status) const noexcept {
    return status >= 100 && status < 600 ? by_status_[static_cast<std::size_t>(status - 100)] : 0;
  }

 private:
  std::string trigger_;
  std::array<std::uint64_t, 500> by_status_{};                // index: status - 100
  std::array<std::uint64_t, kBuckets.size() + 1> buckets_{};  // the last one is +Inf
  double latency_sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace nimbus::engine::detail
