#include "nimbus/engine/metric_totals.hpp"

namespace nimbus::engine {

void MetricTotals::add(std::span<const MetricSample> samples, bool gauges) {
  for (const auto& s : samples) {
    if (gauges || s.kind != MetricKind::kGauge) add(s);
  }
}

void MetricTotals::add(const MetricTotals& other) {
  for (const auto& [key, s] : other.series_) add(s);
}

void MetricTotals::add(const MetricSample& s) {
  std::string key = s.name;
  key += '\0';
  key += s.labels;
  auto [it, added] = series_.try_emplace(std::move(key), s);
  if (added) return;
  MetricSample& total = it->second;
  if (total.kind != s.kind || total.bounds != s.bounds || total.buckets.size() != s.buckets.size()) return;
  total.value += s.value;
  for (std::size_t i = 0; i < s.buckets.size(); ++i) total.buckets[i] += s.buckets[i];
  total.sum += s.sum;
  total.count += s.count;
}

}  // namespace nimbus::engine
