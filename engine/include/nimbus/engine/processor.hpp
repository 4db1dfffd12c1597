#pragma once
/// @file
/// The processor behind `nimbus serve`: the function's triggers, each feeding
/// a pool of workers, and an admin port with liveness, readiness and
/// Prometheus metrics, all on one event-loop thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "nimbus/engine/dispatcher.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/log_sink.hpp"
#include "nimbus/engine/trigger.hpp"
#include "nimbus/json.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// One trigger to serve, and the pool of workers that runs its events.
struct ServedTrigger {
  TriggerSpec spec;        ///< from `spec.triggers` (kind, name, attributes)
  DispatcherOptions pool;  ///< its workers (the processor sets the rings, the notify fd and the tap)
  std::string origin;      ///< where it was declared, before errors in its attributes ("function.yaml")
};

/// How to serve a function.
struct ProcessorOptions {
  std::vector<ServedTrigger> triggers;
  std::string function_name;     ///< every log record carries it
  std::string function_version;  ///< and this
  std::string host = "0.0.0.0";  ///< the address the admin port and network triggers listen on
  int admin_port = 8081;         ///< 0 picks a free one
  /// What a PUT to the admin port from elsewhere than loopback must present (`Authorization:
  /// Bearer <token>`); empty: such requests are refused. `nimbus serve` reads NIMBUS_ADMIN_TOKEN.
  std::string admin_token;
  /// Where the function's logs (and the processor's own lines) go: the sinks
  /// to make, each written once per loop iteration. Empty: nowhere (the
  /// pools' `on_log` is then used as given).
  std::vector<LogSinkSpec> log_sinks = {LogSinkSpec{"console", Json::object(), "console log sink"}};
  /// The log sink kinds there are; null: the built-in ones (`register_builtin_log_sinks`).
  const LogSinkRegistry* log_sink_registry = nullptr;
  /// Follows the invocations of every pool (record); not owned; optional.
  DispatchTap* tap = nullptr;
  /// The trigger kinds there are; null: the built-in ones (`register_builtin_triggers`).
  const TriggerRegistry* registry = nullptr;
  /// What a file trigger reads for "-".
  std::istream* standard_input = nullptr;
};

/// One processor: one event-loop thread runs every trigger and the admin
/// port; events go to each trigger's workers through shared memory, a batch
/// per loop iteration with one wake-up per worker; answers come back on the
/// same loop.
class Processor {
 public:
  /// Opens every trigger (binds its port, opens its files) and the admin port,
  /// then starts the workers (waiting until they are ready) and the triggers.
  static Result<std::unique_ptr<Processor>> start(ProcessorOptions options) noexcept;
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;
  ~Processor();

  /// The admin port actually bound (useful after asking for port 0).
  [[nodiscard]] int admin_port() const noexcept;
  /// The first HTTP trigger's port, or -1 when there is none.
  [[nodiscard]] int port() const noexcept;
  /// Each trigger as served: `{"name", "kind", "workers", "workerMode", ...what it says of itself ("port")}`.
  [[nodiscard]] Json describe_triggers() const;

  /// Serves until `request_stop()` (then stops taking events, finishes those
  /// in flight, closes the connections and returns), or until every trigger
  /// is a finite source that has run out and been answered.
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
