// nimbus-worker: one worker process. Receives its channel's memfd from the
// processor over the unix socket given by --socket, loads the function,
// runs its init hook, says ready, then answers requests from the request
// ring on the response ring until told to shut down or the processor dies.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "../shm/channel.hpp"
#include "messages.hpp"
#include "nimbus/engine/binding_registry.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/function_library.hpp"
#include "nimbus/event.hpp"
#include "nimbus/function.hpp"

namespace {

using nimbus::engine::shm::Ring;
namespace workers = nimbus::engine::workers;

// Loans space on the response ring, waiting (and waking the processor) while it is full.
std::span<std::byte> loan(Ring& ring, std::uint32_t type, std::size_t size) {
  for (;;) {
    if (auto l = ring.try_reserve(type, size)) return *l;
    ring.wake_consumer();
    ring.wait_for_space(size, std::chrono::microseconds(10'000));
  }
}

void send_text(Ring& ring, std::uint32_t type, std::string_view text) {
  auto out = loan(ring, type, text.size());
  std::memcpy(out.data(), text.data(), text.size());
  ring.commit();
  ring.wake_consumer();
}

// Function logs go back on the response ring, in order with the responses.
class RingLogSink : public nimbus::LogSink {
 public:
  explicit RingLogSink(Ring& ring) : ring_(ring) {}
  void set_request(std::uint64_t id) noexcept { request_id_ = id; }
  void write(const nimbus::LogRecord& r) override {
    std::string fields = r.fields.empty() ? std::string() : r.fields.dump();
    workers::LogHeader h{
        request_id_, static_cast<std::uint32_t>(r.level), static_cast<std::uint32_t>(r.message.size()),
        static_cast<std::uint32_t>(fields.size()), static_cast<std::uint32_t>(r.logger.size())};
    std::size_t size = sizeof h + r.message.size() + fields.size() + r.logger.size();
    if (size > ring_.max_payload()) return;  // a record larger than half the ring is dropped
    auto out = loan(ring_, workers::kLog, size);
    std::byte* at = out.data();
    std::memcpy(at, &h, sizeof h);
    at += sizeof h;
    std::memcpy(at, r.message.data(), r.message.size());
    at += r.message.size();
    std::memcpy(at, fields.data(), fields.size());
    at += fields.size();
    std::memcpy(at, r.logger.data(), r.logger.size());
    ring_.commit();
  }

 private:
  Ring& ring_;
  std::uint64_t request_id_ = 0;
};

struct Args {
  int socket = -1;
  std::string config;
  std::string library;
  std::string function;
  int worker_id = 0;
  nimbus::LogLevel level = nimbus::LogLevel::kInfo;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--socket")
      a.socket = std::atoi(v.c_str());
    else if (k == "--config")
      a.config = v;
    else if (k == "--library")
      a.library = v;
    else if (k == "--function")
      a.function = v;
    else if (k == "--worker-id")
      a.worker_id = std::atoi(v.c_str());
    else if (k == "--log-level")
      a.level = nimbus::parse_log_level(v).value_or(nimbus::LogLevel::kInfo);
    else
      return false;
  }
  return a.socket >= 0 && !a.library.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::cerr
        << "usage: nimbus-worker --socket FD --library LIB.so [--config function.yaml] [--function NAME] "
           "[--worker-id N] [--log-level L]\n";
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the processor
  if (getppid() == 1) return 1;

  auto fd = nimbus::engine::shm::receive_fd(args.socket);
  if (!fd) {
    std::cerr << "nimbus-worker: " << fd.error().message << '\n';
    return 1;
  }
  auto channel = nimbus::engine::shm::Channel::attach(*fd);
  if (!channel) {
    std::cerr << "nimbus-worker: " << channel.error().message << '\n';
    return 1;
  }
  Ring& requests = channel->requests();
  Ring& responses = channel->responses();
  auto fail = [&](const std::string& message) {
    send_text(responses, workers::kInitFailed, message);
    return 3;
  };

  nimbus::engine::FunctionConfig config;
  if (!args.config.empty()) {
    auto loaded = nimbus::engine::load_function_config(args.config);
    if (!loaded) return fail(loaded.error().message);
    config = std::move(*loaded);
  }
  if (!args.function.empty()) config.function = args.function;
  auto library = nimbus::engine::FunctionLibrary::open(args.library);
  if (!library) return fail(library.error().message);
  auto entry = library->entry(config.function);
  if (!entry) return fail(entry.error().message);

  nimbus::engine::BindingRegistry registry;
  nimbus::engine::register_builtin_bindings(registry);
  nimbus::BindingMap bindings;
  for (const auto& spec : config.bindings) {
    auto b = registry.make(spec);
    if (!b) return fail(b.error().message);
    bindings[spec.name] = std::move(*b);
  }
  for (const auto& [k, v] : config.env) setenv(k.c_str(), v.c_str(), 1);

  RingLogSink sink(responses);
  nimbus::Context ctx(nimbus::Context::Options{
      config.name.empty() ? std::string((*entry)->name) : config.name, config.version, args.worker_id,
      nimbus::Logger(&sink, args.level), std::move(bindings)});
  if (auto init = nimbus::call_init(**entry, ctx); !init) return fail(init.error().message);
  send_text(responses, workers::kReady, ctx.function_name());

  for (;;) {
    bool worked = false;
    while (auto msg = requests.try_peek()) {
      worked = true;
      if (msg->type == workers::kShutdown) {
        requests.release();
        responses.wake_consumer();
        return 0;
      }
      if (msg->type != workers::kRequest || msg->payload.size() < sizeof(workers::RequestHeader)) {
        requests.release();
        continue;
      }
      workers::RequestHeader rh{};
      std::memcpy(&rh, msg->payload.data(), sizeof rh);
      nimbus::Response response;
      auto event = nimbus::Event::from_bytes(msg->payload.subspan(sizeof rh));
      sink.set_request(rh.request_id);
      if (!event) {
        response = nimbus::Response::text("bad event: " + event.error().message, 400);
      } else {
        ctx.begin_event(event->trigger_kind(), event->trigger_name(),
                        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(rh.deadline_ns)));
        response = nimbus::call_handler(**entry, ctx, *event);
      }
      std::size_t size = workers::response_size(response);
      if (size > responses.max_payload()) {
        response = nimbus::Response::text(
            "response of " + std::to_string(size) + " bytes exceeds the channel's limit", 500);
        size = workers::response_size(response);
      }
      workers::write_response(loan(responses, workers::kResponse, size), rh.request_id, response);
      responses.commit();
      requests.release();  // the event was read in place until now
    }
    if (worked) {
      responses.wake_consumer();
      requests.wake_producer();
    }
    requests.wait_for_message(std::chrono::microseconds(100'000));
  }
}
