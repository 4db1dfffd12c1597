#pragma once
// The shared-memory channel between the processor and one worker process:
// one memfd holding a request ring (processor -> worker) and a response ring
// (worker -> processor). The memfd is passed over a unix socket with
// SCM_RIGHTS, never by a name another process could open.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "nimbus/result.hpp"
#include "ring.hpp"

namespace nimbus::engine::shm {

/// The first bytes of a channel's memory.
struct alignas(64) ChannelHeader {
  static constexpr std::uint64_t kMagic = 0x4C4E4843424D494EULL;  // "NIMBCHNL"
  static constexpr std::uint32_t kVersion = 6;                    // 6: the live log level
  std::uint64_t magic;
  std::uint32_t version;
  /// The lowest level of function logs the worker writes, as `LogLevel` + 1 (version 6); the
  /// processor changes it on the fly (PUT /loglevel), the worker applies it before each event.
  std::atomic<std::uint32_t> log_level;
  std::uint64_t request_offset;
  std::uint64_t request_capacity;
  std::uint64_t response_offset;
  std::uint64_t response_capacity;
  /// The request the worker's handler is running now, 0 between requests
  /// (version 2): how the processor tells a stuck event from a queued one.
  std::atomic<std::uint64_t> running;
};

/// A mapped channel. Move-only; unmaps and closes on destruction.
class Channel {
 public:
  /// Creates a memfd with two rings of the given capacities (powers of two).
  static Result<Channel> create(std::size_t request_capacity, std::size_t response_capacity) noexcept;
  /// Maps a channel received from the processor; takes ownership of `fd`.
  static Result<Channel> attach(int fd) noexcept;

  Channel(Channel&& other) noexcept;
  Channel& operator=(Channel&& other) noexcept;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  /// The memfd, to pass to the worker.
  [[nodiscard]] int fd() const noexcept { return fd_; }
  Ring& requests() noexcept { return requests_; }
  /// The request the worker is running (0: none); the worker sets it.
  [[nodiscard]] std::atomic<std::uint64_t>& running() noexcept {
    return static_cast<ChannelHeader*>(memory_)->running;
  }
  Ring& responses() noexcept { return responses_; }
  /// The live log level, as `LogLevel` + 1 (0: the level the worker started with).
  [[nodiscard]] std::atomic<std::uint32_t>& log_level() noexcept {
    return static_cast<ChannelHeader*>(memory_)->log_level;
  }

 private:
  Channel(int fd, void* memory, std::size_t size, Ring requests, Ring responses) noexcept
      : fd_(fd), memory_(memory), size_(size), requests_(requests), responses_(responses) {}
  void reset() noexcept;

  int fd_ = -1;
  void* memory_ = nullptr;
  std::size_t size_ = 0;
  Ring requests_;
  Ring responses_;
};

/// Sends `fd` and a short tag over a unix socket (SCM_RIGHTS).
Result<void> send_fd(int socket, int fd) noexcept;
/// Receives a descriptor sent by `send_fd`.
Result<int> receive_fd(int socket) noexcept;

}  // namespace nimbus::engine::shm
