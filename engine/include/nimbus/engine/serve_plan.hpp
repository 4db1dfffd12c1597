#pragma once
/// @file
/// What `nimbus serve` (and `nimbus replay --engine`) runs for a function:
/// its triggers, each with its attributes and its pool of workers, from
/// `function.yaml` with the command line's overrides applied.

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/processor.hpp"
#include "nimbus/engine/worker.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// What the command line says over `function.yaml`.
struct ServeOverrides {
  std::optional<int> port;                    ///< the HTTP trigger's `attributes.port` (--port)
  std::optional<std::size_t> max_body_bytes;  ///< its `attributes.maxRequestBodySize` (--max-body-size)
  std::optional<int> workers;                 ///< every trigger's `numWorkers` (--workers)
  std::optional<WorkerMode> worker_mode;      ///< every trigger's `attributes.workerMode` (--worker-mode)
  std::optional<std::chrono::milliseconds> event_timeout;  ///< `spec.eventTimeout` (--event-timeout)
};

/// The triggers to serve: `spec.triggers`, or one HTTP trigger named `http`
/// when it declares none; each with a pool of `numWorkers` workers in
/// `attributes.workerMode` (`process`, the default, or `thread`), `worker`
/// as their template. `--port` and `--max-body-size` go to the function's
/// HTTP trigger (an error when it has several); the others to every trigger.
/// Errors name the field or the flag.
Result<std::vector<ServedTrigger>> plan_triggers(const FunctionConfig& config,
                                                 const ServeOverrides& overrides,
                                                 const WorkerOptions& worker) noexcept;

/// `attributes.workerMode` of a trigger: `process` (the default) or `thread`.
Result<WorkerMode> worker_mode_of(const TriggerSpec& spec) noexcept;

}  // namespace nimbus::engine
