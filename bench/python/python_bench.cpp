// bench/python: a trivial Python handler through the engine (the embedded
// runtime in `process` worker processes, fed over shared memory), one and
// two workers; and, in the same run, the baseline: a plain Python worker
// reading length-prefixed JSON events from a unix socket, one in flight.
//
//   build/bench/python/python_bench [events-per-round] [rounds]
//
// Prints medians of the rounds and the ratio per worker; target: 5x.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../rounds.hpp"
#include "nimbus/engine/worker.hpp"
#include "nimbus/testing/event_builder.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nimbus::bench::median;

// Moves all `size` bytes with `io` (read or write), across short transfers and EINTR.
template <class Data, class Io>
bool transfer_all(int fd, Data* data, std::size_t size, Io io) {
  while (size > 0) {
    const ssize_t n = io(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, const char* data, std::size_t size) { return transfer_all(fd, data, size, ::write); }
bool read_all(int fd, char* data, std::size_t size) { return transfer_all(fd, data, size, ::read); }

// The socket baseline: events/s with one event in flight, or -1 on failure.
double socket_round(int fd, const std::string& event, std::uint64_t count) {
  std::string message(4, '\0');
  const auto size = static_cast<std::uint32_t>(event.size());
  std::memcpy(message.data(), &size, 4);
  message += event;
  std::vector<char> answer(1 << 16);
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint32_t n = 0;
    if (!write_all(fd, message.data(), message.size()) || !read_all(fd, answer.data(), 4)) return -1;
    std::memcpy(&n, answer.data(), 4);
    if (n > answer.size() || !read_all(fd, answer.data(), n)) return -1;
  }
  const std::chrono::duration<double> took = Clock::now() - start;
  return static_cast<double>(count) / took.count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;

  // The engine: the embedded Python runtime in worker processes, as `nimbus serve` runs it.
  nimbus::engine::WorkerOptions o;
  o.worker_executable = NIMBUS_WORKER;
  o.library = NIMBUS_PYTHON_HOST;
  o.config = NIMBUS_BENCH_DIR "/noop/function.yaml";
  std::vector<std::unique_ptr<nimbus::engine::Worker>> workers;
  for (int i = 0; i < 2; ++i) {
    o.worker_id = i;
    auto w = nimbus::engine::Worker::start(o);
    if (!w) {
      std::fprintf(stderr, "python_bench: %s\n", w.error().message.c_str());
      return 1;
    }
    workers.push_back(std::move(*w));
  }
  auto event = nimbus::testing::EventBuilder().path("/bench").header("Host", "localhost").build();

  // The baseline: python3 socket_worker.py <fd>, over a unix socket pair.
  std::array<int, 2> fds{};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], 3);
    const char* python = NIMBUS_PYTHON_EXECUTABLE;
    execl(python, python, NIMBUS_BENCH_DIR "/socket_worker.py", "3", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  const std::string json_event =
      R"({"id":"e1","method":"GET","path":"/bench","headers":{"Host":"localhost"},"body":"",)"
      R"("content_type":"","trigger":{"kind":"http","name":"http"}})";

  std::printf("python benchmark: trivial handler, %llu events per round, %d rounds, %u cores\n",
              static_cast<unsigned long long>(count), rounds, std::thread::hardware_concurrency());
  (void)nimbus::bench::dispatch_round({workers[0].get()}, event, count / 10);  // warm-up
  (void)socket_round(fds[0], json_event, count / 20);
  std::vector<double> one;
  std::vector<double> two;
  std::vector<double> socket;
  for (int r = 0; r < rounds; ++r) {
    one.push_back(nimbus::bench::dispatch_round({workers[0].get()}, event, count));
    two.push_back(nimbus::bench::dispatch_round({workers[0].get(), workers[1].get()}, event, count));
    socket.push_back(socket_round(fds[0], json_event, count / 4));
    if (socket.back() < 0) {
      std::fprintf(stderr, "python_bench: the socket worker failed\n");
      return 1;
    }
  }
  close(fds[0]);
  waitpid(child, nullptr, 0);
  const double base = median(socket);
  std::printf("engine, 1 process worker (shared memory):  %10.0f events/s  %5.1fx the baseline\n",
              median(one), median(one) / base);
  std::printf("engine, 2 process workers (shared memory): %10.0f events/s  %5.1fx per worker\n", median(two),
              median(two) / 2 / base);
  std::printf("baseline, Python socket worker (1 in flight): %7.0f events/s\n", base);
  std::printf("target: at least 5x the baseline per worker -> %s\n",
              median(one) >= 5 * base && median(two) / 2 >= 5 * base ? "met" : "not met");
  return 0;
}
