// The HTTP request path: any bytes a client sends, through the real HTTP
// trigger (Beast's parser in place, pipelining, limits, the event encoded in
// the flat layout) over one end of a socket pair, each event answered by a
// submitter that reads every part of it back (as a handler would). Property:
// every answer is a well-formed HTTP response, and nothing throws or crashes.
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>

#include "../../engine/src/triggers/http/http_trigger.hpp"
#include "fuzz.hpp"
#include "nimbus/engine/event_loop.hpp"

namespace {

// Answers each event with what it holds: every view of the event is read.
class Echo final : public nimbus::engine::Submitter {
 public:
  void submit(const nimbus::Event& event, std::string_view /*origin*/, Done done) override {
    std::string text;
    text.append(event.id()).append(event.method()).append(event.path()).append(event.url());
    for (auto [k, v] : event.headers()) text.append(k).append(v);
    for (auto [k, v] : event.fields()) text.append(k).append(v);
    text.append(event.content_type()).append(event.body());
    if (auto ce = event.cloud_event()) text.append(ce->type).append(ce->source).append(ce->time);
    done(nimbus::Response::bytes(text, "application/octet-stream", event.method() == "DELETE" ? 404 : 200));
  }
  void reject(std::string_view /*origin*/, std::string_view /*why*/) override {}
  void notice(std::string_view /*message*/, bool /*warning*/) override {}
};

struct Served {
  std::unique_ptr<nimbus::engine::EventLoop> loop;
  std::unique_ptr<nimbus::engine::Trigger> trigger;
  Echo echo;
};

Served& served() {
  static Served* s = [] {
    auto* x = new Served();  // NOLINT(cppcoreguidelines-owning-memory): lives as long as the fuzzer
    auto loop = nimbus::engine::EventLoop::create();
    x->loop = std::move(*loop);
    auto t = nimbus::engine::http::make_http_trigger(
        {"fuzz", "http", 1, nimbus::Json{{"port", 0}, {"maxRequestBodySize", 4096}}}, {"127.0.0.1", nullptr});
    x->trigger = std::move(*t);
    (void)x->trigger->open(*x->loop);
    x->trigger->start(x->echo);
    return x;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Served& s = served();
  std::array<int, 2> fds{};
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()) != 0) return 0;
  auto& http = static_cast<nimbus::engine::http::HttpTrigger&>(*s.trigger);
  (void)::send(fds[1], data, size, MSG_NOSIGNAL);
  shutdown(fds[1], SHUT_WR);
  http.adopt(fds[0]);  // the server owns it now
  std::string reply;
  std::array<char, 65536> buffer{};
  for (int i = 0; i < 64 && !s.trigger->idle(); ++i) {
    s.loop->wait(0);
    s.trigger->after_poll();
    for (ssize_t n; (n = recv(fds[1], buffer.data(), buffer.size(), MSG_DONTWAIT)) > 0;) {
      reply.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }
  nimbus::fuzz::check(s.trigger->idle(), "a connection was left open after the client finished");
  for (ssize_t n; (n = recv(fds[1], buffer.data(), buffer.size(), MSG_DONTWAIT)) > 0;) {
    reply.append(buffer.data(), static_cast<std::size_t>(n));
  }
  close(fds[1]);
  // Every answer starts with a status line (100 Continue, the handler's, or the server's 4xx).
  nimbus::fuzz::check(reply.empty() || reply.rfind("HTTP/1.1 ", 0) == 0, "an answer that is not HTTP", reply);
  return 0;
}
