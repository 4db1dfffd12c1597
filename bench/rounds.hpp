#pragma once
// What the benchmarks share: medians, and a round of events through workers
// with many in flight (batches in, batches out).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <nimbus/engine/worker.hpp>
#include <vector>

namespace nimbus::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Events/s for `count` copies of `event` spread over `workers` in turn.
inline double dispatch_round(const std::vector<engine::Worker*>& workers, const Event& event,
                             std::uint64_t count) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::hours(1);
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  const auto start = Clock::now();
  while (received < count) {
    for (engine::Worker* w : workers) {
      for (int batch = 0; sent < count && batch < 256 && w->try_submit(sent, event, deadline); ++batch)
        ++sent;
      w->flush();
    }
    std::size_t got = 0;
    for (engine::Worker* w : workers) {
      got += w->poll([](const engine::workers::ResponseView&) {}, [](const engine::workers::LogView&) {});
    }
    received += got;
    if (got == 0) workers.front()->wait(std::chrono::microseconds(1000));
  }
  const std::chrono::duration<double> took = Clock::now() - start;
  return static_cast<double>(count) / took.count();
}

}  // namespace nimbus::bench
