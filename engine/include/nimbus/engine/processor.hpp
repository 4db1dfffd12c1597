#pragma once
/// @file
/// The processor behind `nimbus serve`: an HTTP trigger feeding a worker
/// pool, and an admin port with liveness, readiness and Prometheus metrics.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "nimbus/engine/dispatcher.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// How to serve a function.
struct ProcessorOptions {
  DispatcherOptions dispatch;         ///< the workers (dispatch.notify_fd is set by the processor)
  std::string trigger_name = "http";  ///< names the trigger in events and metrics
  std::string host = "0.0.0.0";       ///< the address both ports listen on
  int port = 8080;                    ///< the HTTP trigger's port; 0 picks a free one
  int admin_port = 8081;              ///< the admin port; 0 picks a free one
  std::size_t max_body_bytes = std::size_t{1} << 20;  ///< larger request bodies get 413
  /// Where the function's logs go, one JSON object per line, written once
  /// per loop iteration; -1 for nowhere (then `dispatch.on_log` is used as given).
  int log_fd = 2;
};

/// One processor: one event-loop thread runs the HTTP trigger and the admin
/// port; events go to the workers through shared memory, a batch per loop
/// iteration with one wake-up per worker; answers come back on the same loop.
class Processor {
 public:
  /// Binds both ports and starts the workers (waiting until they are ready).
  static Result<std::unique_ptr<Processor>> start(ProcessorOptions options) noexcept;
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;
  ~Processor();

  /// The ports actually bound (useful after asking for port 0).
  [[nodiscard]] int port() const noexcept;
  [[nodiscard]] int admin_port() const noexcept;

  /// Serves until `request_stop()`; then stops accepting connections,
  /// finishes the events in flight, closes the connections and returns.
  void run();
  /// Asks `run()` to drain and return. Async-signal-safe: call it from a
  /// SIGTERM handler.
  void request_stop() noexcept;

 private:
  struct Impl;
  explicit Processor(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nimbus::engine
