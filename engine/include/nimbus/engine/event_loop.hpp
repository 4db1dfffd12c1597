#pragma once
/// @file
/// One thread's event loop (epoll): the triggers' sockets, the admin port and
/// the workers' wake-ups are all watched by it.

#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "nimbus/result.hpp"

namespace nimbus::engine {

/// An edge-triggered epoll loop. Not thread-safe: one thread adds, removes
/// and waits.
///
/// ```cpp
/// auto loop = EventLoop::create();
/// loop->watch(fd, EPOLLIN | EPOLLET, &watcher);   // watcher.on_ready(events) when fd is ready
/// while (running) loop->wait(timeout_ms);
/// ```
class EventLoop {
 public:
  /// What is told when a file descriptor it watches is ready.
  class Watcher {
   public:
    Watcher() = default;
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;
    virtual ~Watcher() = default;
    /// `events`: the EPOLL* bits that are set. Called on the loop's thread.
    virtual void on_ready(std::uint32_t events) = 0;
  };

  static Result<std::unique_ptr<EventLoop>> create() noexcept;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  /// Watches `fd` for `events` (EPOLLIN, EPOLLOUT, EPOLLET, ...); `watcher`
  /// must outlive the watch.
  Result<void> watch(int fd, std::uint32_t events, Watcher* watcher) noexcept;
  /// Stops watching `fd` (before closing it).
  void unwatch(int fd) noexcept;

  /// Waits up to `timeout_ms` (0: not at all) and tells the watchers of what
  /// is ready; returns how many were. A watcher that throws is contained: the
  /// loop says so through `on_error` and goes on.
  int wait(int timeout_ms) noexcept;
  /// The loop's time: read when the last `wait` returned, or at the last
  /// `update_time()`. What runs on the loop times its events with it, so that
  /// an iteration reads the clock once, not once per event (libuv's `uv_now`).
  [[nodiscard]] std::chrono::steady_clock::time_point now() const noexcept { return now_; }
  /// Reads the clock again, between the stages of a long iteration.
  void update_time() noexcept { now_ = std::chrono::steady_clock::now(); }
  /// Where the loop says what a watcher threw (default: stderr).
  void on_error(std::function<void(const std::string&)> report) { report_ = std::move(report); }

 private:
  EventLoop() = default;
  int epoll_fd_ = -1;
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::now();
  std::array<epoll_event, 256> events_{};  // what a wait returns; the kernel fills it, nobody clears it
  std::function<void(const std::string&)> report_;
};

}  // namespace nimbus::engine
