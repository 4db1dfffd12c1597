#include "ring.hpp"

#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <new>

namespace nimbus::engine::shm {
namespace {

constexpr std::uint64_t align8(std::uint64_t n) noexcept { return (n + 7U) & ~std::uint64_t{7}; }

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

// Sleeps while *word == expected, up to `timeout` (shared across processes).
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                std::chrono::microseconds timeout) noexcept {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000);
  ts.tv_nsec = static_cast<long>((timeout.count() % 1'000'000) * 1000);
  syscall(
      SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr,
      0);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): the futex syscall takes the word's address
}

void futex_wake(std::atomic<std::uint32_t>* word) noexcept {
  syscall(
      SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr,
      0);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): the futex syscall takes the word's address
}

}  // namespace

Result<Ring> Ring::create(void* memory, std::size_t capacity) noexcept {
  if (capacity < 64 || (capacity & (capacity - 1)) != 0) {
    return Error{"ring capacity " + std::to_string(capacity) + " is not a power of two of at least 64"};
  }
  if (reinterpret_cast<std::uintptr_t>(memory) % alignof(RingControl) !=
      0) {  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): an alignment check
    return Error{"ring memory is not 64-byte aligned"};
  }
  auto* c = new (memory) RingControl{};
  c->magic = RingControl::kMagic;
  c->capacity = capacity;
  auto* data = static_cast<std::byte*>(memory) + sizeof(RingControl);
  return Ring(c, data, capacity);
}

Result<Ring> Ring::attach(void* memory, std::size_t size) noexcept {
  if (size < sizeof(RingControl)) return Error{"ring memory is smaller than its control block"};
  auto* c = static_cast<RingControl*>(memory);
  if (c->magic != RingControl::kMagic) return Error{"ring memory is not a Nimbus ring (bad magic)"};
  const std::uint64_t capacity = c->capacity;
  if (capacity < 64 || (capacity & (capacity - 1)) != 0 || capacity > size - sizeof(RingControl)) {
    return Error{"ring capacity " + std::to_string(capacity) + " does not fit its " + std::to_string(size) +
                 "-byte memory"};
  }
  Ring r(c, static_cast<std::byte*>(memory) + sizeof(RingControl), capacity);
  r.tail_ = r.cached_tail_ = c->tail.load(std::memory_order_acquire);
  r.head_ = r.cached_head_ = c->head.load(std::memory_order_acquire);
  return r;
}

Ring Ring::attach_reader(const Ring& ring) noexcept {
  Ring r(ring.c_, ring.data_, ring.capacity_);
  r.head_ = ring.c_->head.load(std::memory_order_acquire);
  r.cached_tail_ = r.head_;
  r.read_only_ = true;
  return r;
}

std::optional<std::span<std::byte>> Ring::try_reserve(std::uint32_t type, std::size_t size) noexcept {
  if (size > max_payload()) return std::nullopt;
  const std::uint64_t need = sizeof(MessageHeader) + align8(size);
  const std::uint64_t offset = tail_ & mask_;
  const std::uint64_t to_end = capacity_ - offset;
  const std::uint64_t total = to_end < need ? to_end + need : need;  // pad to the start when it does not fit
  if (tail_ + total - cached_head_ > capacity_) {
    cached_head_ = c_->head.load(std::memory_order_acquire);
    if (tail_ + total - cached_head_ > capacity_) return std::nullopt;
  }
  std::uint64_t at = tail_;
  if (to_end < need) {
    MessageHeader pad{static_cast<std::uint32_t>(to_end - sizeof(MessageHeader)), kPadding};
    std::memcpy(data_ + offset, &pad, sizeof pad);
    at += to_end;
  }
  MessageHeader h{static_cast<std::uint32_t>(size), type};
  std::memcpy(data_ + (at & mask_), &h, sizeof h);
  loan_at_ = at;
  loan_end_ = at + need;
  return std::span<std::byte>(data_ + (at & mask_) + sizeof(MessageHeader), size);
}

void Ring::commit() noexcept {
  tail_ = loan_end_;
  c_->tail.store(tail_, std::memory_order_release);
}

void Ring::commit(std::size_t size) noexcept {
  MessageHeader h{};
  std::memcpy(&h, data_ + (loan_at_ & mask_), sizeof h);
  h.size = static_cast<std::uint32_t>(size);
  std::memcpy(data_ + (loan_at_ & mask_), &h, sizeof h);
  loan_end_ = loan_at_ + sizeof(MessageHeader) + align8(size);
  commit();
}

// The sleep/wake handshake: the sleeper stores its flag, then loads the
// counter; the waker does a read-modify-write of the counter, then loads the
// flag, all sequentially consistent, so at least one sees the other. (A
// no-op RMW rather than a fence, which ThreadSanitizer does not model.)
bool Ring::wake_consumer() noexcept {
  c_->tail.fetch_add(0, std::memory_order_seq_cst);
  if (c_->consumer_sleeping.load(std::memory_order_seq_cst) == 0) return false;
  c_->consumer_sleeping.store(0, std::memory_order_relaxed);
  if (notify_fd_ >= 0) {
    eventfd_write(notify_fd_, 1);
  } else {
    futex_wake(&c_->consumer_sleeping);
  }
  return true;
}

void Ring::wait_for_space(std::size_t size, std::chrono::microseconds timeout) noexcept {
  const std::uint64_t need = 2 * (sizeof(MessageHeader) + align8(size));
  auto fits = [&] { return tail_ + need - c_->head.load(std::memory_order_seq_cst) <= capacity_; };
  for (int i = 0; i < 100; ++i) {
    if (fits()) return;
    cpu_relax();
  }
  c_->producer_sleeping.store(1, std::memory_order_seq_cst);
  if (!fits()) futex_wait(&c_->producer_sleeping, 1, timeout);
  c_->producer_sleeping.store(0, std::memory_order_relaxed);
}

std::optional<Message> Ring::try_peek() noexcept {
  for (;;) {
    if (head_ == cached_tail_) {
      cached_tail_ = c_->tail.load(std::memory_order_acquire);
      if (head_ == cached_tail_) return std::nullopt;
    }
    MessageHeader h{};
    std::memcpy(&h, data_ + (head_ & mask_), sizeof h);
    if (h.type == kPadding) {
      head_ += sizeof(MessageHeader) + h.size;
      if (!read_only_) c_->head.store(head_, std::memory_order_release);
      continue;
    }
    peeked_end_ = head_ + sizeof(MessageHeader) + align8(h.size);
    return Message{h.type, {data_ + (head_ & mask_) + sizeof(MessageHeader), h.size}};
  }
}

void Ring::release() noexcept {
  head_ = peeked_end_;
  c_->head.store(head_, std::memory_order_release);
}

bool Ring::wake_producer() noexcept {
  c_->head.fetch_add(0, std::memory_order_seq_cst);
  if (c_->producer_sleeping.load(std::memory_order_seq_cst) == 0) return false;
  c_->producer_sleeping.store(0, std::memory_order_relaxed);
  futex_wake(&c_->producer_sleeping);
  return true;
}

bool Ring::wait_for_message(std::chrono::microseconds timeout, int spin) noexcept {
  auto ready = [&] { return c_->tail.load(std::memory_order_seq_cst) != head_; };
  for (int i = 0; i < spin; ++i) {
    if (ready()) return true;
    cpu_relax();
  }
  c_->consumer_sleeping.store(1, std::memory_order_seq_cst);
  if (!ready()) futex_wait(&c_->consumer_sleeping, 1, timeout);
  c_->consumer_sleeping.store(0, std::memory_order_relaxed);
  return ready();
}

bool Ring::prepare_sleep() noexcept {
  c_->consumer_sleeping.store(1, std::memory_order_seq_cst);
  if (c_->tail.load(std::memory_order_seq_cst) == head_) return true;
  c_->consumer_sleeping.store(0, std::memory_order_relaxed);
  return false;
}

void Ring::end_sleep() noexcept { c_->consumer_sleeping.store(0, std::memory_order_relaxed); }

bool Ring::empty() const noexcept {
  return c_->tail.load(std::memory_order_acquire) == c_->head.load(std::memory_order_acquire);
}

}  // namespace nimbus::engine::shm
