#include "nimbus/engine/worker.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../shm/channel.hpp"
#include "messages.hpp"
#include "worker_loop.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawn

namespace nimbus::engine {
namespace {

constexpr int kChildSocketFd = 3;
constexpr int kChildNotifyFd = 4;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name != nullptr ? name : "?") + ")";
  }
  return "stopped";
}

}  // namespace

Result<std::unique_ptr<Worker>> Worker::start(const WorkerOptions& o) noexcept {
  try {
    auto channel = shm::Channel::create(o.request_ring_bytes, o.response_ring_bytes);
    if (!channel) return channel.error();
    std::unique_ptr<Worker> w(new Worker());
    w->mode_ = o.mode;
    w->channel_ = std::make_shared<shm::Channel>(std::move(*channel));
    if (o.mode == WorkerMode::kThread) {
      w->start_thread(o);
    } else if (auto spawned = w->spawn_process(o); !spawned) {
      return spawned.error();
    }
    if (auto ready = w->await_ready(o.ready_timeout); !ready) return ready.error();
    return w;
  } catch (const std::exception& e) {
    return Error{std::string("starting a worker: ") + e.what()};
  }
}

void Worker::start_thread(const WorkerOptions& o) {
  workers::WorkerSpec spec{o.config.string(), o.library.string(), o.function,        o.worker_id,
                           o.log_level,       o.notify_fd,        o.redacted_headers};
  thread_status_ = std::make_shared<std::atomic<int>>(-1);
  thread_stop_ = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([channel = channel_, spec, status = thread_status_, stop = thread_stop_] {
    status->store(workers::serve_channel(*channel, spec, stop.get()));
  });
}

Result<void> Worker::spawn_process(const WorkerOptions& o) {
  int fds[2];  // NOLINT(modernize-avoid-c-arrays): socketpair's out-parameter
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return Error{std::string("socketpair: ") + std::strerror(errno)};
  }
  socket_ = fds[0];
  std::vector<std::string> argv = {o.worker_executable.string(),
                                   "--socket",
                                   std::to_string(kChildSocketFd),
                                   "--library",
                                   o.library.string(),
                                   "--worker-id",
                                   std::to_string(o.worker_id),
                                   "--log-level",
                                   std::string(to_string(o.log_level))};
  if (!o.config.empty()) argv.insert(argv.end(), {"--config", o.config.string()});
  if (!o.function.empty()) argv.insert(argv.end(), {"--function", o.function});
  if (o.notify_fd >= 0) argv.insert(argv.end(), {"--notify-fd", std::to_string(kChildNotifyFd)});
  for (const auto& h : o.redacted_headers) argv.insert(argv.end(), {"--redact-header", h});
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], kChildSocketFd);  // dup2 clears CLOEXEC
  if (o.notify_fd >= 0) posix_spawn_file_actions_adddup2(&actions, o.notify_fd, kChildNotifyFd);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    pid_ = -1;
    return Error{"cannot start worker " + o.worker_executable.string() + ": " + std::strerror(rc)};
  }
  return shm::send_fd(socket_, channel_->fd());
}

Result<void> Worker::await_ready(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  shm::Ring& responses = channel_->responses();
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto msg = responses.try_peek()) {
      if (msg->type == workers::kLog) {
        if (auto l = workers::read_log(msg->payload)) init_logs_.push_back(l->to_record());
        responses.release();
        continue;
      }
      std::string text(
          reinterpret_cast<const char*>(msg->payload.data()),
          msg->payload.size());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): char view of bytes
      auto type = msg->type;
      responses.release();
      if (type == workers::kReady) {
        function_name_ = std::move(text);
        return {};
      }
      if (type == workers::kInitFailed) return Error{text};
      continue;
    }
    if (auto exited = check_exit()) return Error{"worker " + *exited + " before it was ready"};
    responses.wait_for_message(std::chrono::microseconds(10'000), 0);
  }
  return Error{"worker was not ready within " + std::to_string(timeout.count()) + " ms"};
}

void Worker::shut_down(std::chrono::milliseconds grace) noexcept {
  if (shut_down_) return;
  shut_down_ = true;
  const bool running = mode_ == WorkerMode::kThread ? thread_.joinable() : (pid_ > 0 && !reaped_);
  if (!running) return;
  shm::Ring& requests = channel_->requests();
  if (requests.try_reserve(workers::kShutdown, 0)) {
    requests.commit();
    requests.wake_consumer();
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!check_exit() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Worker::~Worker() {
  shut_down(std::chrono::seconds(1));
  if (mode_ == WorkerMode::kThread) {
    if (thread_.joinable()) {
      thread_stop_->store(true);
      if (thread_status_->load() >= 0) {
        thread_.join();
      } else {
        thread_.detach();  // stuck in the handler: it keeps its channel alive on its own
      }
    }
  } else if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (socket_ >= 0) close(socket_);
}

bool Worker::try_submit(std::uint64_t request_id, const Event& event,
                        std::chrono::steady_clock::time_point deadline,
                        const RequestOptions& options) noexcept {
  auto bytes = event.bytes();
  const std::string_view calls = options.recorded_calls.value_or(std::string_view());
  auto loan = channel_->requests().try_reserve(workers::kRequest, workers::request_size(bytes.size(), calls));
  if (!loan) return false;
  std::uint32_t flags = options.record ? workers::kRecord : 0U;
  if (options.recorded_calls)
    flags |= workers::kAnswerCalls | (options.lenient ? workers::kLenientCalls : 0U);
  workers::RequestHeader h{
      request_id, std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count(),
      flags, 0};
  workers::write_request(*loan, h, calls, bytes);
  channel_->requests().commit();
  return true;
}

std::size_t Worker::max_event_bytes() const noexcept {
  return channel_->requests().max_payload() - sizeof(workers::RequestHeader);  // without recorded calls
}

void Worker::flush() noexcept { channel_->requests().wake_consumer(); }

bool Worker::wait(std::chrono::microseconds timeout) noexcept {
  return channel_->responses().wait_for_message(timeout);
}

bool Worker::prepare_sleep() noexcept { return channel_->responses().prepare_sleep(); }

void Worker::end_sleep() noexcept { channel_->responses().end_sleep(); }

std::uint64_t Worker::running() const noexcept { return channel_->running().load(std::memory_order_acquire); }

void Worker::set_log_level(LogLevel level) noexcept {
  channel_->log_level().store(static_cast<std::uint32_t>(level) + 1, std::memory_order_relaxed);
}

bool Worker::has_messages() const noexcept { return !channel_->responses().empty(); }

bool Worker::next(Dispatch dispatch, void* target) {
  shm::Ring& responses = channel_->responses();
  for (;;) {
    auto msg = responses.try_peek();
    if (!msg) {
      responses.wake_producer();
      return false;
    }
    bool delivered = false;
    if (msg->type == workers::kResponse) {
      if (auto r = workers::read_response(msg->payload)) {
        dispatch(target, &*r, nullptr, nullptr);
        delivered = true;
      }
    } else if (msg->type == workers::kLog) {
      if (auto l = workers::read_log(msg->payload)) {
        dispatch(target, nullptr, &*l, nullptr);
        delivered = true;
      }
    } else if (msg->type == workers::kRecordPart) {
      if (auto p = workers::read_record_part(msg->payload)) {
        dispatch(target, nullptr, nullptr, &*p);
        delivered = true;
      }
    } else if (msg->type == workers::kStreamAck) {
      if (auto q = workers::read_stream_ack(msg->payload)) stream_acks_.push_back(std::move(*q));
    } else if (msg->type == workers::kMetrics) {
      if (auto m = workers::read_metrics(msg->payload)) metrics_ = std::move(*m);
    }
    responses.release();
    if (delivered) return true;
  }
}

std::optional<std::string> Worker::check_exit() noexcept {
  if (reaped_) return exit_description_;
  if (mode_ == WorkerMode::kThread) {
    int status = thread_status_ ? thread_status_->load() : 0;
    if (status < 0) return std::nullopt;
    reaped_ = true;
    exit_description_ = "thread stopped with status " + std::to_string(status);
    return exit_description_;
  }
  if (pid_ <= 0) return std::string("not started");
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  reaped_ = true;
  exit_description_ = r == pid_ ? describe_status(status) : "lost";
  return exit_description_;
}

std::vector<Worker::Unanswered> Worker::unanswered() const {
  std::vector<Unanswered> out;
  // A second consumer view of the request ring, from the worker's last released position.
  shm::Ring view = channel_->requests();
  auto reader = shm::Ring::attach_reader(view);
  while (auto msg = reader.try_peek()) {
    auto request = msg->type == workers::kRequest ? workers::read_request(msg->payload) : std::nullopt;
    if (request) {
      const auto& h = request->header;
      Unanswered u{h.request_id,
                   std::chrono::steady_clock::time_point(std::chrono::nanoseconds(h.deadline_ns)),
                   std::vector<std::byte>(request->event.begin(), request->event.end()),
                   (h.flags & workers::kRecord) != 0U,
                   std::nullopt,
                   (h.flags & workers::kLenientCalls) != 0U};
      if ((h.flags & workers::kAnswerCalls) != 0U) u.recorded_calls = std::string(request->calls_json);
      out.push_back(std::move(u));
    }
    reader.release_local();
  }
  return out;
}

void Worker::kill() noexcept {
  if (reaped_) return;
  if (mode_ == WorkerMode::kThread) {
    if (thread_.joinable()) {
      thread_stop_->store(true);
      thread_.detach();
    }
    reaped_ = true;
    exit_description_ = "thread was abandoned (a thread cannot be killed)";
    return;
  }
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

}  // namespace nimbus::engine
