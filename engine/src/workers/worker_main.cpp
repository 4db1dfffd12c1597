// nimbus-worker: one worker process. Receives its channel's memfd from the
// processor over the unix socket given by --socket, loads the function,
// runs its init hook, says ready, then answers requests from the request
// ring on the response ring until told to shut down or the processor dies.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "../shm/channel.hpp"
#include "../util/allocator.hpp"
#include "nimbus/logger.hpp"
#include "worker_loop.hpp"

namespace {

struct Args {
  int socket = -1;
  std::string config;
  std::string library;
  std::string function;
  int worker_id = 0;
  nimbus::LogLevel level = nimbus::LogLevel::kInfo;
  int notify_fd = -1;
  std::vector<std::string> redacted_headers;
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
    else if (k == "--notify-fd")
      a.notify_fd = std::atoi(v.c_str());
    else if (k == "--redact-header")
      a.redacted_headers.push_back(v);
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
           "[--worker-id N] [--log-level L] [--notify-fd FD] [--redact-header NAME ...]\n";
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the processor
  nimbus::engine::util::keep_freed_memory();
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
  nimbus::engine::workers::WorkerSpec spec{args.config, args.library,   args.function,        args.worker_id,
                                           args.level,  args.notify_fd, args.redacted_headers};
  return nimbus::engine::workers::serve_channel(*channel, spec, nullptr);
}
