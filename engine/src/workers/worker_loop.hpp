#pragma once
// The worker's side of a channel, shared by worker processes (nimbus-worker)
// and worker threads: load the function, run its init hook, say ready, then
// answer requests in place until told to stop. One code path, so a function
// sees the same Context, Event and logger in both modes.

#include <atomic>
#include <string>
#include <vector>

#include "../shm/channel.hpp"
#include "nimbus/logger.hpp"

namespace nimbus::engine::workers {

/// What to run.
struct WorkerSpec {
  std::string config;    ///< function.yaml, or empty
  std::string library;   ///< the function's .so
  std::string function;  ///< the NIMBUS_FUNCTION name, or empty
  int worker_id = 0;
  LogLevel level = LogLevel::kInfo;
  int notify_fd = -1;  ///< an eventfd that wakes the processor's event loop, or -1 (the futex)
  std::vector<std::string> redacted_headers;  ///< hidden in the records the worker writes
};

/// The exit status of a worker that met an error of its own (a bug), not the function's.
inline constexpr int kInternalError = 70;  // EX_SOFTWARE

/// Serves `channel` until a shutdown message (returns 0), an init failure
/// (sends it, returns 3), or `stop` becomes true. Never throws: an internal
/// error is said on stderr and returns `kInternalError`.
int serve_channel(shm::Channel& channel, const WorkerSpec& spec, const std::atomic<bool>* stop) noexcept;

}  // namespace nimbus::engine::workers
