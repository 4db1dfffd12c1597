#pragma once
// Where a client library's own threads hand things to a trigger on the
// processor's loop (cnats delivers messages on a thread of its own): a
// bounded queue and an eventfd the loop watches. The trigger takes items as
// it has room for them; `post` blocks while the box is full, so a slow
// handler holds the client's delivery thread and the client's own buffers
// (and the broker) take the flood, never this process's memory.

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

#include "nimbus/engine/event_loop.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

template <class T>
class Mailbox final : private EventLoop::Watcher {
 public:
  /// `arrived` runs on the loop's thread when items were posted: the owner `take`s them.
  Mailbox(std::size_t capacity, std::function<void()> arrived)
      : capacity_(capacity), arrived_(std::move(arrived)) {}
  ~Mailbox() override {
    close();
    if (loop_ != nullptr) loop_->unwatch(fd_);
    if (fd_ >= 0) ::close(fd_);
  }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  Result<void> open(EventLoop& loop) {
    fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd_ < 0) return Error{"eventfd failed"};
    if (auto ok = loop.watch(fd_, EPOLLIN, this); !ok) return ok;
    loop_ = &loop;
    return {};
  }

  /// From any thread: queues `item`, waiting while the box is full; false once closed.
  bool post(T item) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    const bool was_empty = items_.empty();
    items_.push_back(std::move(item));
    lock.unlock();
    // Only an empty box wakes the loop: the owner takes what it finds, and
    // looks again after each loop iteration (a system call per item would cost
    // more than the item).
    if (was_empty) eventfd_write(fd_, 1);
    return true;
  }

  /// Lets waiting posters go (they get false) and refuses new items.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    room_.notify_all();
  }

  /// On the loop's thread: up to `max` items, oldest first.
  std::deque<T> take(std::size_t max) {
    std::deque<T> out;
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      while (!items_.empty() && out.size() < max) {
        out.push_back(std::move(items_.front()));
        items_.pop_front();
      }
      // A waiting poster is woken once the box is half empty, not for each item taken: it then
      // posts half a box without waiting (bench/streams: a wake-up per take cost the loop a
      // third of its time).
      wake = !out.empty() && items_.size() <= capacity_ / 2;
    }
    if (wake) room_.notify_all();
    return out;
  }

  /// Items queued and not yet taken.
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  void on_ready(std::uint32_t /*events*/) override {
    eventfd_t n = 0;
    eventfd_read(fd_, &n);
    arrived_();
  }

  std::size_t capacity_;
  std::function<void()> arrived_;
  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace nimbus::engine
