#pragma once
/// @file
/// Function metrics (`ctx.metrics()`) summed across workers, for `/metrics`.

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "nimbus/metrics.hpp"

namespace nimbus::engine {

/// Series of one name and labels added together: counters' and gauges' values,
/// histograms' buckets, sums and counts. A series whose kind or buckets differ
/// from the first one seen under its name is left out (workers of one function
/// agree, unless two builds of it ran at once).
class MetricTotals {
 public:
  /// Adds `samples`; gauges too unless `gauges` is false (a dead worker's gauges
  /// say nothing any more, its counts still do).
  void add(std::span<const MetricSample> samples, bool gauges = true);
  void add(const MetricTotals& other);
  /// Every series, sorted by name, then labels.
  [[nodiscard]] const std::map<std::string, MetricSample, std::less<>>& series() const noexcept {
    return series_;
  }
  [[nodiscard]] bool empty() const noexcept { return series_.empty(); }

 private:
  void add(const MetricSample& s);
  std::map<std::string, MetricSample, std::less<>> series_;  // by name, '\0', labels
};

}  // namespace nimbus::engine
