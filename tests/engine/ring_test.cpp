#include "../../engine/src/shm/ring.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

namespace {

using nimbus::engine::shm::Ring;
using std::chrono::microseconds;

struct Memory {
  explicit Memory(std::size_t capacity)
      : size(Ring::bytes_for(capacity)), ptr(std::aligned_alloc(64, size), std::free) {}
  std::size_t size;
  std::unique_ptr<void, decltype(&std::free)> ptr;
};

// A payload whose bytes depend on its sequence number, so corruption shows.
void fill(std::span<std::byte> out, std::uint32_t seq) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>((seq * 31 + i) & 0xFF);
}
bool check(std::span<const std::byte> in, std::uint32_t seq) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != static_cast<std::byte>((seq * 31 + i) & 0xFF)) return false;
  }
  return true;
}
std::size_t size_of(std::uint32_t seq) { return (seq * 7919U) % 97U; }

// Sends `count` messages, waiting for space when the ring is full and waking
// the consumer every `wake_every` messages.
void produce(Ring& producer, std::uint32_t count, std::uint32_t wake_every) {
  for (std::uint32_t seq = 0; seq < count; ++seq) {
    std::optional<std::span<std::byte>> loan;
    while (!(loan = producer.try_reserve(seq, size_of(seq)))) {
      producer.wake_consumer();
      producer.wait_for_space(size_of(seq), microseconds(1000));
    }
    fill(*loan, seq);
    producer.commit();
    if (seq % wake_every == 0) producer.wake_consumer();
  }
  producer.wake_consumer();
}

TEST(RingTest, WrapsAroundWithPadding) {
  Memory m(256);
  auto ring = Ring::create(m.ptr.get(), 256);
  ASSERT_TRUE(ring) << ring.error().message;
  for (std::uint32_t seq = 0; seq < 5000; ++seq) {
    auto loan = ring->try_reserve(seq, size_of(seq));
    ASSERT_TRUE(loan) << seq;
    ASSERT_EQ(loan->size(), size_of(seq)) << seq;
    fill(*loan, seq);
    ring->commit();
    auto msg = ring->try_peek();
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->type, seq);
    ASSERT_EQ(msg->payload.size(), size_of(seq));
    ASSERT_TRUE(check(msg->payload, seq)) << seq;
    ring->release();
    EXPECT_FALSE(ring->try_peek());
  }
}

TEST(RingTest, FullRingRefusesUntilSpaceIsReleased) {
  Memory m(256);
  auto ring = Ring::create(m.ptr.get(), 256);
  int sent = 0;
  while (true) {
    auto loan = ring->try_reserve(1, 24);
    if (!loan) break;
    ring->commit();
    ++sent;
  }
  EXPECT_EQ(sent, 256 / 32);
  ASSERT_TRUE(ring->try_peek());
  ring->release();
  EXPECT_TRUE(ring->try_reserve(1, 24));
}

TEST(RingTest, OversizeMessagesAreRefused) {
  Memory m(1024);
  auto ring = Ring::create(m.ptr.get(), 1024);
  EXPECT_EQ(ring->max_payload(), 512U - 8U);
  EXPECT_FALSE(ring->try_reserve(1, ring->max_payload() + 1));
  EXPECT_EQ(ring->try_reserve(1, ring->max_payload())->size(), ring->max_payload());
  EXPECT_TRUE(ring->try_reserve(2, 0));  // an empty message is still a message
}

TEST(RingTest, CommitCanShrinkTheLoan) {
  Memory m(256);
  auto ring = Ring::create(m.ptr.get(), 256);
  auto loan = ring->try_reserve(3, 100);
  std::memcpy(loan->data(), "abc", 3);
  ring->commit(3);
  auto msg = ring->try_peek();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->payload.size(), 3U);
  EXPECT_EQ(std::memcmp(msg->payload.data(), "abc", 3), 0);
}

TEST(RingTest, BadParametersAndForeignMemory) {
  Memory m(256);
  EXPECT_FALSE(Ring::create(m.ptr.get(), 100));
  EXPECT_FALSE(Ring::create(m.ptr.get(), 32));
  std::memset(m.ptr.get(), 0, m.size);
  auto attached = Ring::attach(m.ptr.get(), m.size);
  ASSERT_FALSE(attached);
  EXPECT_EQ(attached.error().message, "ring memory is not a Nimbus ring (bad magic)");
  ASSERT_TRUE(Ring::create(m.ptr.get(), 256));
  EXPECT_FALSE(Ring::attach(m.ptr.get(), m.size - 1));  // capacity larger than the memory
}

TEST(RingTest, ProducerAndConsumerThreads) {
  constexpr std::size_t kCapacity = 4096;
  constexpr std::uint32_t kCount = 200'000;
  Memory m(kCapacity);
  auto producer = Ring::create(m.ptr.get(), kCapacity);
  auto consumer = Ring::attach(m.ptr.get(), m.size);
  ASSERT_TRUE(producer && consumer);
  std::thread t([&] { produce(*producer, kCount, 16); });
  std::uint32_t expected = 0;
  bool ok = true;
  while (expected < kCount && ok) {
    while (auto msg = consumer->try_peek()) {
      ok = ok && msg->type == expected && msg->payload.size() == size_of(expected) &&
           check(msg->payload, expected);
      consumer->release();
      ++expected;
    }
    consumer->wake_producer();
    if (expected < kCount) consumer->wait_for_message(microseconds(1000));
  }
  t.join();
  EXPECT_TRUE(ok) << "message " << expected << " was wrong";
  EXPECT_EQ(expected, kCount);
  EXPECT_TRUE(consumer->empty());
}

TEST(RingTest, AcrossProcesses) {
  constexpr std::size_t kCapacity = 1 << 16;
  constexpr std::uint32_t kCount = 100'000;
  std::size_t size = Ring::bytes_for(kCapacity);
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  ASSERT_TRUE(Ring::create(mem, kCapacity));
  pid_t pid = fork();
  if (pid == 0) {
    auto producer = Ring::attach(mem, size);
    if (!producer) _exit(3);
    produce(*producer, kCount, 64);
    _exit(0);
  }
  auto consumer = Ring::attach(mem, size);
  ASSERT_TRUE(consumer);
  std::uint32_t expected = 0;
  bool ok = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (expected < kCount && ok && std::chrono::steady_clock::now() < deadline) {
    while (auto msg = consumer->try_peek()) {
      ok = ok && msg->type == expected && check(msg->payload, expected);
      consumer->release();
      ++expected;
    }
    consumer->wake_producer();
    consumer->wait_for_message(microseconds(1000));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  munmap(mem, size);
  EXPECT_TRUE(ok);
  EXPECT_EQ(expected, kCount);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
