#include "nimbus/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace nimbus {
namespace {

bool name_char(char c, bool first, bool colon) noexcept {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view s, bool colon) noexcept {
  if (s.empty() || s.size() > 200) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!name_char(s[i], i == 0, colon)) return false;
  }
  return true;
}

void check_name(std::string_view name) {
  if (!valid_name(name, true)) {
    throw MetricError(
        "metric name '" + std::string(name) +
        "' is not a Prometheus name (letters, digits, '_' and ':', not beginning with a digit)");
  }
  if (name.starts_with("nimbus_"))
    throw MetricError("metric name '" + std::string(name) +
                      "' begins with nimbus_, which the engine's own use");
}

// Prometheus's label text for `labels`: sorted by name, values escaped (\\, \", \n).
std::string label_text(std::string_view metric, const MetricLabels& labels) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(labels.size());
  for (const auto& l : labels) {
    const std::string& n = l.first;
    if (!valid_name(n, false) || n.starts_with("__") || n == "function" || n == "le") {
      throw MetricError("metric '" + std::string(metric) + "': label name '" + n +
                        "' is not allowed (letters, digits and '_'; not function, le or __...)");
    }
    sorted.push_back(&l);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && sorted[i]->first == sorted[i - 1]->first)
      throw MetricError("metric '" + std::string(metric) + "': label '" + sorted[i]->first + "' given twice");
    if (i > 0) out += ',';
    detail::append_label(out, sorted[i]->first, sorted[i]->second);
  }
  return out;
}

std::vector<double> checked_bounds(std::string_view name, const std::vector<double>& asked) {
  const std::vector<double>& b = asked.empty() ? Metrics::default_buckets() : asked;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]) || (i > 0 && b[i] <= b[i - 1]))
      throw MetricError("histogram '" + std::string(name) + "': buckets must be finite and increasing");
  }
  return b;
}

}  // namespace

void detail::append_label(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += "=\"";
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string_view to_string(MetricKind kind) noexcept {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void Counter::inc(double by) {
  if (!(by >= 0))
    throw MetricError("counter '" + name() + "' can only go up (inc by " + std::to_string(by) + ")");
  value_.fetch_add(by, std::memory_order_relaxed);
  touch();
}

MetricSample Counter::sample() const {
  MetricSample s = identity();
  s.value = value();
  return s;
}

void Gauge::set(double v) noexcept {
  value_.store(v, std::memory_order_relaxed);
  touch();
}

void Gauge::inc(double by) noexcept {
  value_.fetch_add(by, std::memory_order_relaxed);
  touch();
}

MetricSample Gauge::sample() const {
  MetricSample s = identity();
  s.value = value();
  return s;
}

Histogram::Histogram(std::string name, std::string labels, std::atomic<bool>& changed,
                     std::vector<double> bounds)
    : Series(MetricKind::kHistogram, std::move(name), std::move(labels), changed),
      bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  if (std::isnan(v)) throw MetricError("histogram '" + name() + "': cannot observe NaN");
  const auto at =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[at].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  touch();
}

MetricSample Histogram::sample() const {
  MetricSample s = identity();
  s.bounds = bounds_;
  s.buckets.reserve(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    s.buckets.push_back(buckets_[i].load(std::memory_order_relaxed));
  s.sum = sum();
  s.count = count();
  return s;
}

const std::vector<double>& Metrics::default_buckets() {
  static const std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}

template <class Make>
detail::Series& Metrics::series(MetricKind kind, std::string_view name, const MetricLabels& labels,
                                Make&& make) {
  std::string key(name);
  key += '\0';
  if (!labels.empty()) key += label_text(name, labels);
  std::lock_guard lock(mutex_);
  if (auto it = series_.find(key); it != series_.end() && it->second->kind() == kind) return *it->second;
  if (auto k = kinds_.find(name); k != kinds_.end() && k->second != kind) {
    throw MetricError("metric '" + std::string(name) + "' is a " + std::string(to_string(k->second)) +
                      ", not a " + std::string(to_string(kind)));
  }
  check_name(name);
  if (series_.size() >= kMaxSeries) {
    throw MetricError("metric '" + std::string(name) + "': a worker may have at most " +
                      std::to_string(kMaxSeries) + " series (is a label's value unbounded?)");
  }
  std::unique_ptr<detail::Series> made = make(std::string(name), key.substr(name.size() + 1));
  detail::Series& s = *made;
  series_.emplace(std::move(key), std::move(made));
  kinds_.emplace(std::string(name), kind);
  changed_.store(true, std::memory_order_relaxed);
  return s;
}

Counter& Metrics::counter(std::string_view name, const MetricLabels& labels) {
  return static_cast<Counter&>(
      series(MetricKind::kCounter, name, labels, [this](std::string n, std::string l) {
        return std::unique_ptr<detail::Series>(new Counter(std::move(n), std::move(l), changed_));
      }));
}

Gauge& Metrics::gauge(std::string_view name, const MetricLabels& labels) {
  return static_cast<Gauge&>(series(MetricKind::kGauge, name, labels, [this](std::string n, std::string l) {
    return std::unique_ptr<detail::Series>(new Gauge(std::move(n), std::move(l), changed_));
  }));
}

Histogram& Metrics::histogram(std::string_view name, const MetricLabels& labels,
                              const std::vector<double>& buckets) {
  auto& h =
      static_cast<Histogram&>(series(MetricKind::kHistogram, name, labels, [&](std::string n, std::string l) {
        // One name, one set of buckets: its first series' (checked here, once).
        auto it = bounds_.find(n);
        if (it == bounds_.end()) it = bounds_.emplace(n, checked_bounds(n, buckets)).first;
        return std::unique_ptr<detail::Series>(
            new Histogram(std::move(n), std::move(l), changed_, it->second));
      }));
  if (!buckets.empty() && buckets != h.bounds())
    throw MetricError("histogram '" + std::string(name) + "' has other buckets already");
  return h;
}

std::vector<MetricSample> Metrics::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<MetricSample> out;
  out.reserve(series_.size());
  for (const auto& [key, s] : series_) out.push_back(s->sample());
  return out;
}

std::optional<double> Metrics::value(std::string_view name, const MetricLabels& labels) const {
  std::string key(name);
  key += '\0';
  if (!labels.empty()) key += label_text(name, labels);
  std::lock_guard lock(mutex_);
  auto it = series_.find(key);
  if (it == series_.end()) return std::nullopt;
  if (const auto* c = dynamic_cast<const Counter*>(it->second.get())) return c->value();
  if (const auto* g = dynamic_cast<const Gauge*>(it->second.get())) return g->value();
  return std::nullopt;
}

std::size_t Metrics::size() const {
  std::lock_guard lock(mutex_);
  return series_.size();
}

}  // namespace nimbus
