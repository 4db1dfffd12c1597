// bench/dispatch: events through the shared-memory channel into a trivial
// C++ handler in a worker process, without HTTP.
//
//   build/bench/dispatch/dispatch_bench [events-per-round] [rounds]
//
// Prints, each as the median of its rounds:
//  - throughput: events/s with many events in flight (batches in, batches out),
//    to a worker process and to a worker thread;
//  - latency (process mode): one event's round trip, p50 and p99, with one event in flight;
//  - baseline, in the same run: the raw ring moving 64-byte messages between
//    two threads, and the ratio of dispatch to it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "../../engine/src/shm/ring.hpp"
#include "../../engine/src/workers/messages.hpp"
#include "../rounds.hpp"
#include "nimbus/engine/worker.hpp"
#include "nimbus/testing/event_builder.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nimbus::engine::Worker;
using nimbus::engine::workers::LogView;
using nimbus::engine::workers::ResponseView;

using nimbus::bench::median;

double dispatch_round(Worker& w, const nimbus::Event& event, std::uint64_t count) {
  return nimbus::bench::dispatch_round({&w}, event, count);
}

std::pair<double, double> latency_round(Worker& w, const nimbus::Event& event, int count) {
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(count));
  auto deadline = Clock::now() + std::chrono::hours(1);
  for (int i = 0; i < count; ++i) {
    auto start = Clock::now();
    w.try_submit(static_cast<std::uint64_t>(i), event, deadline);
    w.flush();
    while (w.poll([](const ResponseView&) {}, [](const LogView&) {}) == 0)
      w.wait(std::chrono::microseconds(1000));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

double raw_ring_round(std::uint64_t count) {
  using nimbus::engine::shm::Ring;
  constexpr std::size_t kCapacity = std::size_t{1} << 22;
  std::unique_ptr<void, decltype(&std::free)> mem(std::aligned_alloc(64, Ring::bytes_for(kCapacity)),
                                                  std::free);
  auto producer = Ring::create(mem.get(), kCapacity);
  auto consumer = Ring::attach(mem.get(), Ring::bytes_for(kCapacity));
  auto start = Clock::now();
  std::thread t([&] {
    for (std::uint64_t i = 0; i < count;) {
      std::uint64_t batch = 0;
      while (i < count && batch < 256) {
        auto loan = producer->try_reserve(1, 56);  // 64 bytes with the header
        if (!loan) break;
        std::memcpy(loan->data(), &i, sizeof i);
        producer->commit();
        ++i;
        ++batch;
      }
      producer->wake_consumer();
      if (batch == 0) producer->wait_for_space(56, std::chrono::microseconds(1000));
    }
  });
  std::uint64_t got = 0;
  while (got < count) {
    while (consumer->try_peek()) {
      consumer->release();
      ++got;
    }
    consumer->wake_producer();
    if (got < count) consumer->wait_for_message(std::chrono::microseconds(1000));
  }
  t.join();
  std::chrono::duration<double> took = Clock::now() - start;
  return static_cast<double>(count) / took.count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;

  nimbus::engine::WorkerOptions o;
  o.worker_executable = NIMBUS_WORKER;
  o.library = NIMBUS_NOOP_LIBRARY;
  auto w = Worker::start(o);
  o.mode = nimbus::engine::WorkerMode::kThread;
  auto t = Worker::start(o);
  if (!w || !t) {
    std::fprintf(stderr, "dispatch_bench: %s\n", (!w ? w : t).error().message.c_str());
    return 1;
  }
  auto event = nimbus::testing::EventBuilder().path("/bench").header("Host", "localhost").build();
  std::printf("dispatch benchmark: %llu events per round, %d rounds, 1 worker process, %u cores\n",
              static_cast<unsigned long long>(count), rounds, std::thread::hardware_concurrency());

  (void)dispatch_round(**w, event, count / 10);  // warm-up
  std::vector<double> rates;
  std::vector<double> p50s;
  std::vector<double> p99s;
  std::vector<double> raw;
  std::vector<double> thread_rates;
  for (int r = 0; r < rounds; ++r) {
    rates.push_back(dispatch_round(**w, event, count));
    auto [p50, p99] = latency_round(**w, event, 20'000);
    p50s.push_back(p50);
    p99s.push_back(p99);
    raw.push_back(raw_ring_round(count * 4));
    thread_rates.push_back(dispatch_round(**t, event, count));
  }
  const double rate = median(rates);
  const double raw_rate = median(raw);
  std::printf("dispatch throughput (process mode, median): %12.0f events/s\n", rate);
  std::printf("dispatch throughput (thread mode, median):  %12.0f events/s\n", median(thread_rates));
  std::printf("one-event round trip: p50 %.1f us, p99 %.1f us (medians of rounds)\n", median(p50s),
              median(p99s));
  std::printf("baseline, raw ring 64-byte messages between threads: %12.0f messages/s\n", raw_rate);
  std::printf("ratio dispatch / raw ring: %.3f\n", rate / raw_rate);
  std::printf("target: 2,000,000 events/s -> %s\n", rate >= 2'000'000 ? "met" : "not met");
  return 0;
}
