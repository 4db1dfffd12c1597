#pragma once
// Log sinks that deliver to a service (`http`, `redis`, `nats`): on the loop a record only joins
// a bounded queue; a thread of the sink's own hands batches to `deliver`, so that a service
// that is slow or down never slows the loop or a handler. A record that finds the queue full,
// and one `deliver` could not deliver, is dropped and counted (`dropped()`, /metrics), never
// retried.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nimbus/engine/attributes.hpp"
#include "nimbus/engine/log_sink.hpp"

namespace nimbus::engine::logging {

struct QueueOptions {
  std::size_t batch = 100;                   // records per delivery at most
  std::chrono::milliseconds interval{1000};  // a batch not full goes after this long
  std::size_t max_queue = 10000;             // records waiting at most
};

/// The attributes every queued sink reads: `batchSize`, `flushInterval` (a duration), `maxQueue`.
[[nodiscard]] Result<QueueOptions> queue_options(const Attributes& a);

class QueuedSink final : public LogEntrySink {
 public:
  /// Delivers a batch of records (JSON objects' texts, in order) on the sink's thread; returns
  /// how many it delivered (the rest are counted as dropped).
  using Deliver = std::function<std::size_t(const std::vector<std::string>& records)>;

  QueuedSink(QueueOptions options, Deliver deliver);
  QueuedSink(const QueuedSink&) = delete;
  QueuedSink& operator=(const QueuedSink&) = delete;
  /// Delivers what is queued (one more try), then stops the thread.
  ~QueuedSink() override;

  void write(const LogEntry& e) override;
  void flush() noexcept override;
  [[nodiscard]] std::uint64_t dropped() const noexcept override { return dropped_.load(); }

 private:
  void run();

  QueueOptions o_;
  Deliver deliver_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;     // guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  std::vector<std::string> pending_;  // the loop's records since its last flush (loop thread only)
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

/// `http`: `url` (http:// or https://) that takes the records POSTed as a JSON array, `timeout`
/// per POST (5s), `token` ({env: NAME} or {file: path}: sent as `Authorization: Bearer`).
Result<std::unique_ptr<LogEntrySink>> make_http_sink(const LogSinkSpec& spec);

/// `redis`: each record an entry (its JSON in the `body` field) of the stream `stream` on the
/// Redis at `url` (`secret`: the password), through the redis binding kind. `nats`: each record
/// a message on `subject` of the NATS server at `url`, through the nats binding kind. Both
/// connect at start: a service that refuses is an error naming the sink.
Result<std::unique_ptr<LogEntrySink>> make_redis_sink(const LogSinkSpec& spec);
Result<std::unique_ptr<LogEntrySink>> make_nats_sink(const LogSinkSpec& spec);

}  // namespace nimbus::engine::logging
