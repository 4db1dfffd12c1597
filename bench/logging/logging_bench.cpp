// bench/logging: what a log call costs in C++: a disabled debug call (the logger at info),
// an enabled call formatting one argument, and an enabled structured call, each into a sink
// that only counts, beside an empty function call through a pointer in the same run. Prints
// the medians of the rounds in nanoseconds per call. Then what a function metric costs
// (ctx.metrics()): a kept counter's inc, a histogram's observe, and a counter looked up by
// name (and labels) at each call. The Python side: python_logging.py.
//
//   build/bench/logging/logging_bench [calls-per-round] [rounds]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../rounds.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/metrics.hpp"

namespace {

using Clock = std::chrono::steady_clock;

class CountingSink final : public nimbus::LogSink {
 public:
  void write(const nimbus::LogRecord& record) override { bytes += record.message.size(); }
  std::size_t bytes = 0;
};

__attribute__((noinline)) void empty(std::uint64_t /*i*/) { asm volatile(""); }

template <class Call>
double ns_per_call(std::uint64_t count, Call call) {
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; ++i) call(i);
  const std::chrono::duration<double, std::nano> took = Clock::now() - start;
  return took.count() / static_cast<double>(count);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  CountingSink sink;
  const nimbus::Logger logger(&sink, nimbus::LogLevel::kInfo);
  void (*volatile function)(std::uint64_t) = empty;

  std::vector<double> base;
  std::vector<double> disabled;
  std::vector<double> enabled;
  std::vector<double> structured;
  for (int r = 0; r < rounds; ++r) {
    base.push_back(ns_per_call(count, [&](std::uint64_t i) { function(i); }));
    disabled.push_back(ns_per_call(count, [&](std::uint64_t i) { logger.debug("handled {}", i); }));
    enabled.push_back(ns_per_call(count / 20, [&](std::uint64_t i) { logger.info("handled {}", i); }));
    structured.push_back(ns_per_call(count / 20, [&](std::uint64_t i) {
      logger.info_with("handled", {{"n", static_cast<std::int64_t>(i)}, {"path", "/orders"}});
    }));
  }
  std::printf("bench/logging (C++): median of %d rounds, ns per call\n", rounds);
  std::printf("  empty function call (through a pointer)   %7.2f\n", nimbus::bench::median(base));
  std::printf("  disabled debug(\"handled {}\", i)           %7.2f\n", nimbus::bench::median(disabled));
  std::printf("  enabled info(\"handled {}\", i)             %7.2f   (into a sink that counts)\n",
              nimbus::bench::median(enabled));
  std::printf("  enabled info_with(\"handled\", {n, path})   %7.2f   (into a sink that counts)\n",
              nimbus::bench::median(structured));

  nimbus::Metrics metrics;
  nimbus::Counter& kept = metrics.counter("orders_total");
  nimbus::Histogram& sizes = metrics.histogram("size_bytes", {}, {10, 100, 1000, 10000});
  std::vector<double> inc;
  std::vector<double> observe;
  std::vector<double> by_name;
  std::vector<double> by_labels;
  const nimbus::MetricLabels labels{{"item", "book"}};
  for (int r = 0; r < rounds; ++r) {
    inc.push_back(ns_per_call(count, [&](std::uint64_t /*i*/) { kept.inc(); }));
    observe.push_back(
        ns_per_call(count, [&](std::uint64_t i) { sizes.observe(static_cast<double>(i % 5000)); }));
    by_name.push_back(
        ns_per_call(count / 10, [&](std::uint64_t /*i*/) { metrics.counter("orders_total").inc(); }));
    by_labels.push_back(
        ns_per_call(count / 10, [&](std::uint64_t /*i*/) { metrics.counter("orders_total", labels).inc(); }));
  }
  std::printf("  counter.inc() (the counter kept)          %7.2f\n", nimbus::bench::median(inc));
  std::printf("  histogram.observe(v) (kept, 4 buckets)    %7.2f\n", nimbus::bench::median(observe));
  std::printf("  metrics.counter(\"name\").inc()            %7.2f   (looked up each call)\n",
              nimbus::bench::median(by_name));
  std::printf("  metrics.counter(\"name\", {label}).inc()   %7.2f   (looked up each call)\n",
              nimbus::bench::median(by_labels));
  return sink.bytes > 0 && kept.value() > 0 ? 0 : 1;
}
