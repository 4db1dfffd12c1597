#pragma once
/// @file
/// A worker — a process or a thread running the function — and the
/// processor's end of its shared-memory channel.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "nimbus/event.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/metrics.hpp"
#include "nimbus/platform.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

namespace shm {
class Channel;
}
namespace workers {
struct ResponseView;
struct LogView;
struct RecordPartView;
/// Worker::poll's default for record parts: none are expected.
struct IgnoreRecordParts {
  void operator()(const RecordPartView& /*part*/) const noexcept {}
};
}  // namespace workers

/// What a request asks of its worker besides running the event: for record and replay.
struct RequestOptions {
  /// Send back the invocation's record (event, binding calls, log records and
  /// response as tape text, written by the worker) with the response.
  bool record = false;
  /// Replay: answer the function's binding calls from these recorded calls (a JSON array, a
  /// tape record's "calls") instead of running the bindings.
  std::optional<std::string_view> recorded_calls;
  /// Replay: a call not in `recorded_calls` goes to the configured binding instead of failing.
  bool lenient = false;
};

/// Where a worker runs the function.
enum class WorkerMode {
  kProcess,  ///< a separate nimbus-worker process: a crash or a stuck handler costs only that worker
  kThread,   ///< a thread of this process, for trusted functions: a crash takes the process down
};

/// How to start a worker.
struct WorkerOptions {
  WorkerMode mode = WorkerMode::kProcess;
  std::filesystem::path worker_executable;  ///< nimbus-worker (process mode)
  std::filesystem::path config;             ///< function.yaml (optional)
  std::filesystem::path library;            ///< the function's .so
  std::string function;  ///< the NIMBUS_FUNCTION name (empty: from config, or the only one)
  int worker_id = 0;
  LogLevel log_level = LogLevel::kInfo;
  std::size_t request_ring_bytes = std::size_t{1} << 22;
  std::size_t response_ring_bytes = std::size_t{1} << 22;
  std::chrono::milliseconds ready_timeout{10'000};
  /// An eventfd the worker writes to when it publishes responses while the
  /// processor sleeps in an event loop (see `Dispatcher`); -1: the processor
  /// waits on the response ring's futex instead. Not owned.
  int notify_fd = -1;
  /// Header names (any case) whose values a record hides (`format::RecordText`).
  std::vector<std::string> redacted_headers;
};

/// One worker. Both modes serve the same channel with the same loop
/// (`workers::serve_channel`), so the function sees the same Context, Event
/// and logger in each. One thread submits requests, one thread polls
/// responses (it may be the same thread); `start` and the destructor are
/// not concurrent with either.
class Worker {
 public:
  /// Starts the worker (spawns the process and passes it the channel, or
  /// starts the thread) and waits until it is ready.
  /// An init failure is an error with the worker's own message.
  static Result<std::unique_ptr<Worker>> start(const WorkerOptions& options) noexcept;

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  /// Asks the worker to exit, then kills it if it does not within a second.
  ~Worker();

  /// Queues a request holding `event`'s bytes; false when the ring is full.
  bool try_submit(std::uint64_t request_id, const Event& event,
                  std::chrono::steady_clock::time_point deadline,
                  const RequestOptions& options = {}) noexcept;
  /// The largest encoded event `try_submit` can ever take.
  [[nodiscard]] std::size_t max_event_bytes() const noexcept;
  /// Wakes the worker if it sleeps; call once after a batch of submits.
  void flush() noexcept;

  /// Hands every queued response, log record and record part to the
  /// callbacks, in order; returns how many responses there were. The views
  /// are valid during the call.
  template <class OnResponse, class OnLog, class OnRecordPart = workers::IgnoreRecordParts>
  std::size_t poll(OnResponse&& on_response, OnLog&& on_log, OnRecordPart&& on_record_part = {});
  /// Waits up to `timeout` for something to poll.
  bool wait(std::chrono::microseconds timeout) noexcept;
  /// For an owner that waits on the notify fd instead: true when it may
  /// sleep (the worker will write the fd), false when there is something to poll.
  bool prepare_sleep() noexcept;
  /// After that wait.
  void end_sleep() noexcept;
  /// The request the worker's handler is running now; 0 between requests.
  [[nodiscard]] std::uint64_t running() const noexcept;
  /// Changes the lowest level of function logs the worker writes, from its next event on.
  void set_log_level(LogLevel level) noexcept;
  /// True when the worker has published something to poll.
  [[nodiscard]] bool has_messages() const noexcept;

  /// The worker's exit description ("exited with status 3", "killed by
  /// signal 11 (Segmentation fault)") once it has died; nothing while it runs.
  std::optional<std::string> check_exit() noexcept;
  /// Kills the worker (for a stuck event). A thread cannot be killed: it is
  /// abandoned (left running detached, keeping its channel) and counts as exited.
  void kill() noexcept;

  /// A request still in the request ring: the worker had not answered it.
  struct Unanswered {
    std::uint64_t request_id;
    std::chrono::steady_clock::time_point deadline;
    std::vector<std::byte> event;  // the encoded event
    bool record = false;
    std::optional<std::string> recorded_calls;
    bool lenient = false;
    /// How it was asked for, to ask again.
    [[nodiscard]] RequestOptions options() const {
      return {record, recorded_calls ? std::optional<std::string_view>(*recorded_calls) : std::nullopt,
              lenient};
    }
  };
  /// After the worker died: copies the requests it had not released, oldest
  /// first (the first may be the one it died on; the rest never started).
  [[nodiscard]] std::vector<Unanswered> unanswered() const;

  /// The stream acknowledgements the function asked for (`ctx.platform().explicit_ack`)
  /// since the last call, read by `poll`, in order.
  [[nodiscard]] std::vector<QualifiedOffset> take_stream_acks() { return std::exchange(stream_acks_, {}); }
  /// The function's metrics (`ctx.metrics()`) as the worker last sent them, read by `poll`, when
  /// they came since the last call.
  [[nodiscard]] std::optional<std::vector<MetricSample>> take_metrics() {
    return std::exchange(metrics_, {});
  }

  /// Asks the worker to finish what is queued, run the function's drain and
  /// termination callbacks and exit, and waits up to `grace` for it; what it
  /// sent meanwhile can still be polled. The destructor does this too (1 s).
  void shut_down(std::chrono::milliseconds grace) noexcept;

  /// The log records the init hook wrote, before the worker was ready.
  [[nodiscard]] const std::vector<LogRecord>& init_logs() const noexcept { return init_logs_; }

  /// The worker's process id; -1 in thread mode.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] const std::string& function_name() const noexcept { return function_name_; }

 private:
  Worker() = default;
  void start_thread(const WorkerOptions& o);
  [[nodiscard]] Result<void> spawn_process(const WorkerOptions& o);
  // The ready handshake: the worker's first message says whether it started.
  [[nodiscard]] Result<void> await_ready(std::chrono::milliseconds timeout);
  // Reads one message; false when there is none. Calls exactly one callback.
  using Dispatch = void (*)(void*, const workers::ResponseView*, const workers::LogView*,
                            const workers::RecordPartView*);
  bool next(Dispatch dispatch, void* target);

  WorkerMode mode_ = WorkerMode::kProcess;
  std::shared_ptr<shm::Channel> channel_;
  pid_t pid_ = -1;
  std::thread thread_;
  std::shared_ptr<std::atomic<int>> thread_status_;  // -1 while the thread serves
  std::shared_ptr<std::atomic<bool>> thread_stop_;
  int socket_ = -1;
  bool reaped_ = false;
  std::string exit_description_;
  std::string function_name_;
  std::vector<LogRecord> init_logs_;
  std::vector<QualifiedOffset> stream_acks_;
  std::optional<std::vector<MetricSample>> metrics_;
  bool shut_down_ = false;
};

template <class OnResponse, class OnLog, class OnRecordPart>
std::size_t Worker::poll(OnResponse&& on_response, OnLog&& on_log, OnRecordPart&& on_record_part) {
  struct Target {
    OnResponse& r;
    OnLog& l;
    OnRecordPart& p;
    std::size_t responses = 0;
  } target{on_response, on_log, on_record_part};
  auto dispatch = [](void* t, const workers::ResponseView* r, const workers::LogView* l,
                     const workers::RecordPartView* p) {
    auto* self = static_cast<Target*>(t);
    if (r != nullptr) {
      self->r(*r);
      ++self->responses;
    } else if (l != nullptr) {
      self->l(*l);
    } else {
      self->p(*p);
    }
  };
  while (next(dispatch, &target)) {
  }
  return target.responses;
}

}  // namespace nimbus::engine
