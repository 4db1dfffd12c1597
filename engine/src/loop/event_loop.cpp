#include "nimbus/engine/event_loop.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

namespace nimbus::engine {

Result<std::unique_ptr<EventLoop>> EventLoop::create() noexcept {
  try {
    std::unique_ptr<EventLoop> loop(new EventLoop());
    loop->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epoll_fd_ < 0) return Error{std::string("epoll: ") + std::strerror(errno)};
    return loop;
  } catch (const std::exception& e) {
    return Error{std::string("event loop: ") + e.what()};
  }
}

EventLoop::~EventLoop() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

// NOLINTNEXTLINE(readability-make-member-function-const): it changes what the loop watches
Result<void> EventLoop::watch(int fd, std::uint32_t events, Watcher* watcher) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = watcher;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Error{std::string("epoll_ctl: ") + std::strerror(errno)};
  }
  return {};
}

// NOLINTNEXTLINE(readability-make-member-function-const): it changes what the loop watches
void EventLoop::unwatch(int fd) noexcept { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

int EventLoop::wait(int timeout_ms) noexcept {
  const int n = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  update_time();
  for (int i = 0; i < n; ++i) {
    const epoll_event& ev = events_[static_cast<std::size_t>(i)];
    try {
      static_cast<Watcher*>(ev.data.ptr)->on_ready(ev.events);
    } catch (const std::exception& e) {  // contained: one connection's trouble is not the process's
      const std::string what = std::string("event loop: ") + e.what();
      try {
        if (report_) {
          report_(what);
        } else {
          std::fprintf(stderr, "nimbus: %s\n", what.c_str());
        }
      } catch (...) {
      }
    } catch (...) {
      std::fputs("nimbus: event loop: unknown error\n", stderr);
    }
  }
  return n < 0 ? 0 : n;
}

}  // namespace nimbus::engine
