#pragma once
/// @file
/// The dispatcher: a pool of worker processes that events are submitted to,
/// with crash replacement and event timeouts.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/engine/log_sink.hpp"
#include "nimbus/engine/metric_totals.hpp"
#include "nimbus/engine/tap.hpp"
#include "nimbus/engine/worker.hpp"
#include "nimbus/event.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// How to run the pool.
struct DispatcherOptions {
  WorkerOptions worker;  ///< for every worker; `worker_id` is set per worker
  int num_workers = 1;
  std::chrono::milliseconds event_timeout{30'000};
  /// Receives every function log record, in order per worker; called on a
  /// worker's poller thread (in `poll()` in event-loop mode). Optional.
  std::function<void(const LogEntry&)> on_log;
  /// Event-loop mode, when not -1: an eventfd (not owned) that the workers
  /// write to when they answer while the owner sleeps. The dispatcher then
  /// starts no threads: its owner calls `flush()` after a batch of submits,
  /// `poll()` when the fd is readable (and every few milliseconds while events
  /// are in flight, for timeouts and crashes), and brackets its wait with
  /// `prepare_sleep()` / `end_sleep()`. Completions then run inside `poll()`.
  int notify_fd = -1;
  /// Event-loop mode: the owner's clock (its loop's time), read for each
  /// submitted event's deadline instead of the system's. Optional.
  std::function<std::chrono::steady_clock::time_point()> clock;
  /// Receives each stream acknowledgement a function asks for
  /// (`ctx.platform().explicit_ack`), where `on_log` is called. Optional.
  std::function<void(const QualifiedOffset&)> on_stream_ack;
  /// Follows invocations (record, replay); not owned; optional.
  DispatchTap* tap = nullptr;
  /// The first request id (then one more per event): a processor with several
  /// pools gives each its own range, so that ids are unique across them.
  std::uint64_t first_request_id = 1;
};

/// Runs `num_workers` worker processes, each with a poller thread.
///
/// - An event goes to the worker with the fewest events in flight, or to its
///   lane's worker (`submit_in_lane`).
/// - A worker that dies (a segfault, an abort) is replaced; the event it died
///   on is answered 500 naming how it died, and the events queued behind it
///   are given to the replacement.
/// - An event past its timeout is answered 504; its worker is killed and
///   replaced the same way.
///
/// Completions run on poller threads, or in `poll()` in event-loop mode.
class Dispatcher {
 public:
  /// Receives an event's response (the same type as a trigger's `Submitter::Done`).
  using Completion = std::function<void(const Response&)>;

  /// Starts every worker and waits until all are ready.
  static Result<std::unique_ptr<Dispatcher>> start(DispatcherOptions options) noexcept;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;
  /// Waits for the events in flight to complete (and their records), then stops the workers:
  /// each runs the function's drain and termination callbacks (within 5 s), whose logs and
  /// acknowledgements are still forwarded.
  ~Dispatcher();

  /// Submits an event; `done` receives its response exactly once.
  /// In event-loop mode the worker is woken by the next `flush()`.
  /// `options` (replay): the recorded calls the worker answers from; the tap
  /// is asked whether to follow it either way.
  void submit(const Event& event, Completion done, const RequestOptions& options = {});
  /// Submits an event to the worker of `lane` (`lane` modulo the workers):
  /// the events of one lane run one after another, in the order submitted
  /// (a stream partition's order), and different lanes in parallel.
  void submit_in_lane(std::uint64_t lane, const Event& event, Completion done);

  // --- event-loop mode ----------------------------------------------------

  /// Wakes the workers that were given events since the last flush: once per batch.
  void flush() noexcept;
  /// Completes every answered event, forwards logs, and handles timed-out and
  /// dead workers; returns how many events completed.
  std::size_t poll();
  /// Before the owner's wait: true when it may sleep (workers will write the
  /// notify fd), false when an answer is already there to poll.
  bool prepare_sleep() noexcept;
  /// After the owner's wait.
  void end_sleep() noexcept;
  /// True when some worker has published an answer or a log to poll: cheap
  /// (a few shared-memory loads), for spinning briefly before sleeping.
  [[nodiscard]] bool answers_waiting() const noexcept;

  /// Changes the lowest level of function logs every worker writes (and every replacement),
  /// from each worker's next event on.
  void set_log_level(LogLevel level);
  /// That level now: the last one set, else the workers' starting level.
  [[nodiscard]] LogLevel log_level() const noexcept;

  /// The function's metrics (`ctx.metrics()`) summed across the workers, with what replaced
  /// workers had counted (not their gauges); each worker's as it last sent them (within 100 ms).
  [[nodiscard]] MetricTotals metrics() const;

  /// How many workers were replaced since the start.
  [[nodiscard]] std::uint64_t restarts() const noexcept { return restarts_.load(); }
  /// Events submitted and not yet completed.
  [[nodiscard]] std::size_t in_flight() const noexcept;
  /// Followed events answered whose records have not reached the tap yet
  /// (a worker sends a record after the response). Nobody waits for them
  /// but the tap: the owner need not hurry, only poll them before it stops.
  [[nodiscard]] std::size_t records_due() const noexcept;

 private:
  struct Slot;
  // Answered events whose completions are to be called, kept across polls: each response is
  // overwritten in place, so that an answer costs no allocation once they have grown.
  class Answers {
   public:
    // A place for one more: `done` set, its response to be filled.
    std::pair<Completion, Response>& add(Completion done);
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    // Calls each completion once, in order: also those a completion's own submit adds meanwhile
    // (a deque: the responses being read never move).
    void deliver();

   private:
    std::deque<std::pair<Completion, Response>> items_;
    std::size_t size_ = 0;
  };
  Dispatcher() = default;
  void submit_to(Slot& slot, const Event& event, Completion done, const RequestOptions& options);
  void poll_loop(Slot& slot);
  void forward_init_logs(int worker, const Worker& w) const;
  // Drains the slot, then handles a stuck or dead worker; completions go to `ready`, to be called
  // without the slot's lock. True when something happened.
  bool service(Slot& slot, Answers& ready);
  // Moves the slot's answered events to `ready` and forwards its logs; under the slot's mutex.
  void drain(Slot& slot, Answers& ready) const;
  // Kills the slot's worker when the event it runs is past its deadline; true when it did.
  bool kill_if_stuck(Slot& slot, Worker& worker);
  // The slot's worker died (`crash` says how; none: killed for a timeout): answers the event it
  // died on, starts a replacement and gives it the events queued behind.
  void replace_dead_worker(Slot& slot, Worker& dead, const std::optional<std::string>& crash, Answers& ready);

  DispatcherOptions o_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::uint64_t> restarts_{0};
  std::atomic<int> live_level_{-1};  // set_log_level's, -1 until it is called
  std::atomic<bool> stopping_{false};
  mutable std::mutex retired_mutex_;
  MetricTotals retired_metrics_;  // counted by workers since replaced
  Answers ready_;                 // event-loop mode's completions
};

}  // namespace nimbus::engine
