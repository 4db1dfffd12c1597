#pragma once
/// @file
/// `ctx.metrics()`: a function's own counters, gauges and histograms. The
/// engine shows them at its admin port's `/metrics`, summed across workers,
/// with the function's name as the label `function`.
///
/// ```cpp
/// auto& m = ctx.metrics();
/// m.counter("orders_total", {{"kind", "book"}}).inc();
/// m.gauge("basket_items").set(3);
/// m.histogram("price_euros", {}, {1, 10, 100}).observe(12.5);
/// ```
///
/// A series is made on first use and lives as long as the worker: the
/// reference returned may be kept (in user data, say) and used from any thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus {

/// A metric used the wrong way: a bad name or label, a name already of another
/// kind, a counter decreased, too many series. The message names the metric.
class MetricError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

enum class MetricKind : std::uint8_t { kCounter = 1, kGauge = 2, kHistogram = 3 };

/// "counter", "gauge", "histogram": the word Prometheus's `# TYPE` line uses.
[[nodiscard]] std::string_view to_string(MetricKind kind) noexcept;

/// A series' labels: name and value pairs, in any order.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// One series' values at a moment (`Metrics::snapshot`).
struct MetricSample {
  MetricKind kind = MetricKind::kCounter;
  std::string name;
  std::string labels;            ///< Prometheus's label text, sorted by name, no braces: `a="1",b="x"`
  double value = 0;              ///< a counter's or gauge's value
  std::vector<double> bounds{};  ///< a histogram's bucket upper bounds, increasing (+Inf after them)
  std::vector<std::uint64_t>
      buckets{};            ///< a histogram's observations per bucket (not cumulative): bounds + 1
  double sum = 0;           ///< a histogram's sum of observations
  std::uint64_t count = 0;  ///< a histogram's number of observations
};

class Metrics;

namespace detail {
/// Appends `name="value"` with the value escaped as Prometheus's text format asks (\\, \", \n).
void append_label(std::string& out, std::string_view name, std::string_view value);

// What every series has: its identity, and the registry's "something changed" flag.
class Series {
 public:
  Series(const Series&) = delete;
  Series& operator=(const Series&) = delete;
  Series(Series&&) = delete;
  Series& operator=(Series&&) = delete;
  virtual ~Series() = default;
  [[nodiscard]] MetricKind kind() const noexcept { return kind_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& labels() const noexcept { return labels_; }
  [[nodiscard]] virtual MetricSample sample() const = 0;

 protected:
  Series(MetricKind kind, std::string name, std::string labels, std::atomic<bool>& changed)
      : kind_(kind), name_(std::move(name)), labels_(std::move(labels)), changed_(changed) {}
  void touch() noexcept { changed_.store(true, std::memory_order_relaxed); }
  [[nodiscard]] MetricSample identity() const { return {.kind = kind_, .name = name_, .labels = labels_}; }

 private:
  MetricKind kind_;
  std::string name_;
  std::string labels_;
  std::atomic<bool>& changed_;
};
}  // namespace detail

/// A value that only goes up (requests, errors, bytes).
class Counter final : public detail::Series {
 public:
  /// Adds `by` (1 by default); a negative or NaN `by` is a `MetricError`.
  void inc(double by = 1);
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }
  [[nodiscard]] MetricSample sample() const override;

 private:
  friend class Metrics;
  Counter(std::string name, std::string labels, std::atomic<bool>& changed)
      : Series(MetricKind::kCounter, std::move(name), std::move(labels), changed) {}
  std::atomic<double> value_{0};
};

/// A value that goes up and down (items queued, a temperature).
class Gauge final : public detail::Series {
 public:
  void set(double v) noexcept;
  void inc(double by = 1) noexcept;
  void dec(double by = 1) noexcept { inc(-by); }
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }
  [[nodiscard]] MetricSample sample() const override;

 private:
  friend class Metrics;
  Gauge(std::string name, std::string labels, std::atomic<bool>& changed)
      : Series(MetricKind::kGauge, std::move(name), std::move(labels), changed) {}
  std::atomic<double> value_{0};
};

/// Observations counted in buckets (durations, sizes).
class Histogram final : public detail::Series {
 public:
  /// Counts `v` in the first bucket whose bound is at least `v`; NaN is a `MetricError`.
  void observe(double v);
  [[nodiscard]] const std::vector<double>& bounds() const noexcept { return bounds_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
  [[nodiscard]] MetricSample sample() const override;

 private:
  friend class Metrics;
  Histogram(std::string name, std::string labels, std::atomic<bool>& changed, std::vector<double> bounds);
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

/// A worker's metrics (`ctx.metrics()`).
///
/// Names follow Prometheus (`[a-zA-Z_:][a-zA-Z0-9_:]*`) and may not begin
/// with `nimbus_` (the engine's own); label names `[a-zA-Z_][a-zA-Z0-9_]*`,
/// not `function` (the engine adds it), `le` or beginning with `__`. One name
/// is one kind, and for a histogram one set of buckets.
class Metrics {
 public:
  /// Series one worker may make: a guard against a label with unbounded values.
  static constexpr std::size_t kMaxSeries = 1000;
  /// Prometheus's default buckets: 0.005 s to 10 s.
  static const std::vector<double>& default_buckets();

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;
  Metrics(Metrics&&) = delete;
  Metrics& operator=(Metrics&&) = delete;
  ~Metrics() = default;

  /// The counter `name` with `labels`, made on first use.
  Counter& counter(std::string_view name, const MetricLabels& labels = {});
  /// The gauge `name` with `labels`, made on first use.
  Gauge& gauge(std::string_view name, const MetricLabels& labels = {});
  /// The histogram `name` with `labels`; `buckets` (increasing upper bounds;
  /// empty: `default_buckets()`) when it is made, and the same after that.
  Histogram& histogram(std::string_view name, const MetricLabels& labels = {},
                       const std::vector<double>& buckets = {});

  /// Every series' values, sorted by name and labels.
  [[nodiscard]] std::vector<MetricSample> snapshot() const;
  /// A counter's or gauge's value, for a test; nothing when there is no such series.
  [[nodiscard]] std::optional<double> value(std::string_view name, const MetricLabels& labels = {}) const;
  /// How many series there are.
  [[nodiscard]] std::size_t size() const;
  /// True when some value changed since the last call (the host's cue to send them on).
  [[nodiscard]] bool take_changed() noexcept { return changed_.exchange(false, std::memory_order_relaxed); }

 private:
  // The series `name` with `labels` of `kind`, found, or made by `make(name, labels text)` (under the lock).
  template <class Make>
  detail::Series& series(MetricKind kind, std::string_view name, const MetricLabels& labels, Make&& make);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<detail::Series>, std::less<>> series_;  // by name, '\0', labels
  std::map<std::string, MetricKind, std::less<>> kinds_;                        // each name's kind
  std::map<std::string, std::vector<double>, std::less<>> bounds_;  // each histogram name's buckets
  std::atomic<bool> changed_{false};
};

}  // namespace nimbus
