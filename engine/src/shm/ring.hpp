#pragma once
// A single-producer/single-consumer ring of variable-size messages in shared
// memory (docs/wire-protocol.md, "The ring"). The producer loans space,
// writes the message in place and publishes it; the consumer reads it in
// place and releases it. Wake-ups use a futex only when the other side has
// said it is going to sleep. Everything here is noexcept and allocation-free.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "nimbus/result.hpp"

namespace nimbus::engine::shm {

/// The control block at the start of a ring's memory; the data follows it.
struct alignas(64) RingControl {
  static constexpr std::uint64_t kMagic = 0x474E4952424D494EULL;  // "NIMBRING"
  std::uint64_t magic;
  std::uint64_t capacity;                                    // data bytes, a power of two
  alignas(64) std::atomic<std::uint64_t> tail;               // bytes ever published (producer)
  alignas(64) std::atomic<std::uint64_t> head;               // bytes ever released (consumer)
  alignas(64) std::atomic<std::uint32_t> consumer_sleeping;  // futex word
  alignas(64) std::atomic<std::uint32_t> producer_sleeping;  // futex word
};

/// The header before every message; messages are 8-byte aligned.
struct MessageHeader {
  std::uint32_t size;  // payload bytes
  std::uint32_t type;  // kPadding, or a message type of the channel
};

/// A record that fills the end of the ring when a message does not fit there.
inline constexpr std::uint32_t kPadding = 0xFFFFFFFFU;

/// A message as the consumer sees it: its type and a view of its payload.
struct Message {
  std::uint32_t type;
  std::span<const std::byte> payload;
};

/// One end of a ring (the same object type serves producer and consumer;
/// each process uses only its side's methods).
class Ring {
 public:
  /// Bytes of shared memory a ring of `capacity` data bytes needs.
  static constexpr std::size_t bytes_for(std::size_t capacity) noexcept {
    return sizeof(RingControl) + capacity;
  }

  /// Formats `memory` (at least `bytes_for(capacity)` bytes, 64-byte aligned)
  /// as an empty ring; `capacity` must be a power of two of at least 64.
  static Result<Ring> create(void* memory, std::size_t capacity) noexcept;
  /// Uses a ring another process formatted in `memory` of `size` bytes.
  static Result<Ring> attach(void* memory, std::size_t size) noexcept;

  /// The largest payload a message may have.
  [[nodiscard]] std::size_t max_payload() const noexcept { return capacity_ / 2 - sizeof(MessageHeader); }

  // --- producer ---------------------------------------------------------

  /// Loans space for a message of `size` payload bytes, or nothing when the
  /// ring is full (or `size` exceeds `max_payload()`). Write the payload,
  /// then `commit()`; at most one loan is open at a time.
  std::optional<std::span<std::byte>> try_reserve(std::uint32_t type, std::size_t size) noexcept;
  /// Publishes the loaned message. Does not wake the consumer.
  void commit() noexcept;
  /// Publishes a loan of a smaller size than reserved (`size` <= reserved).
  void commit(std::size_t size) noexcept;
  /// Wakes the consumer if it said it is going to sleep; call once after a
  /// batch of commits. True when a wake-up was sent.
  bool wake_consumer() noexcept;
  /// Wakes the consumer by writing 1 to the eventfd `fd` instead of the
  /// futex: for a consumer that sleeps in an event loop (epoll), not in
  /// `wait_for_message`. -1 goes back to the futex.
  void notify_consumer_with(int fd) noexcept { notify_fd_ = fd; }
  /// Waits until `size` bytes might fit, up to `timeout`.
  void wait_for_space(std::size_t size, std::chrono::microseconds timeout) noexcept;

  // --- consumer ---------------------------------------------------------

  /// The next message, read in place, or nothing when the ring is empty.
  /// Valid until `release()`.
  std::optional<Message> try_peek() noexcept;
  /// Frees the message `try_peek` returned.
  void release() noexcept;
  /// Wakes the producer if it waits for space; call once after a batch of releases.
  bool wake_producer() noexcept;
  /// Waits until a message might be there: spins for `spin` polls, then
  /// sleeps on the futex up to `timeout`. True when the ring is not empty.
  bool wait_for_message(std::chrono::microseconds timeout, int spin = 200) noexcept;
  /// For a consumer that sleeps elsewhere (an event loop woken through the
  /// producer's notify fd): says it is going to sleep and returns true when
  /// it may, false when a message is already there. Pair with `end_sleep`.
  bool prepare_sleep() noexcept;
  /// Says the consumer is awake again.
  void end_sleep() noexcept;

  /// A consumer-side copy of `ring` that starts at the shared `head` and
  /// whose `release_local()` does not touch shared memory: for reading what
  /// a dead consumer left unreleased.
  static Ring attach_reader(const Ring& ring) noexcept;
  /// Steps past the peeked message without publishing `head`.
  void release_local() noexcept { head_ = peeked_end_; }

  /// True when nothing is published and unreleased.
  [[nodiscard]] bool empty() const noexcept;

 private:
  Ring(RingControl* control, std::byte* data, std::uint64_t capacity) noexcept
      : c_(control), data_(data), capacity_(capacity), mask_(capacity - 1) {}

  RingControl* c_ = nullptr;
  std::byte* data_ = nullptr;
  std::uint64_t capacity_ = 0;
  std::uint64_t mask_ = 0;

  // Producer-local state.
  std::uint64_t tail_ = 0;         // our tail, published by commit
  std::uint64_t cached_head_ = 0;  // last head we read
  std::uint64_t loan_at_ = 0;      // where the open loan's header is
  std::uint64_t loan_end_ = 0;     // tail after the open loan commits
  int notify_fd_ = -1;             // an eventfd to wake the consumer with, or the futex

  // Consumer-local state.
  std::uint64_t head_ = 0;
  std::uint64_t cached_tail_ = 0;
  std::uint64_t peeked_end_ = 0;
  bool read_only_ = false;  // attach_reader: never publishes head
};

}  // namespace nimbus::engine::shm
