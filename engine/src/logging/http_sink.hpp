#pragma once
// The HTTP log sink (kind `http`): records as JSON objects, POSTed in batches (a JSON array)
// to `url` by a thread of its own, so that a slow or absent endpoint never slows the loop or
// a handler. The loop only appends to a bounded queue; a record that finds the queue full, or
// a batch the endpoint refused or did not answer in time, is dropped and counted (`dropped()`,
// /metrics), never retried.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nimbus/engine/log_sink.hpp"

namespace nimbus::engine::logging {

struct HttpSinkOptions {
  std::string url;
  std::size_t batch = 100;                   // records per POST at most
  std::chrono::milliseconds interval{1000};  // a batch not full goes after this long
  std::size_t max_queue = 10000;             // records waiting at most
  std::chrono::milliseconds timeout{5000};   // per POST
  std::vector<std::string> headers;          // "Name: value" lines (the Authorization, when a token is set)
};

class HttpSink final : public LogEntrySink {
 public:
  explicit HttpSink(HttpSinkOptions options);
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;
  /// Sends what is queued (one more try, bounded by the timeout), then stops the thread.
  ~HttpSink() override;

  void write(const LogEntry& e) override;
  void flush() noexcept override;
  [[nodiscard]] std::uint64_t dropped() const noexcept override { return dropped_.load(); }

  /// Records the endpoint took (answered 2xx).
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_.load(); }

 private:
  void run();
  // POSTs `records` (JSON objects' texts) as one array; false when the endpoint did not take it.
  bool post(const std::vector<std::string>& records);

  HttpSinkOptions o_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;     // guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  std::vector<std::string> pending_;  // the loop's records since its last flush (loop thread only)
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

/// The factory registered as `http`: `url` (http:// or https://), `batchSize`, `flushInterval`
/// (a duration), `maxQueue`, `timeout`, `token` ({env: NAME} or {file: path}: sent as
/// `Authorization: Bearer`).
Result<std::unique_ptr<LogEntrySink>> make_http_sink(const LogSinkSpec& spec);

}  // namespace nimbus::engine::logging
