#pragma once
// An HTTP/1.1 server on the processor's event loop: the listening socket and
// its connections (keep-alive, pipelining with answers in request order,
// Expect: 100-continue, limits, timeouts, draining), requests parsed in place
// by Beast. Used by the HTTP trigger and by the admin port: what a request
// becomes is its handler's business. docs/architecture.md ("HTTP behaviour").

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_parser.hpp"
#include "nimbus/detail/ascii.hpp"
#include "nimbus/engine/event_loop.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine::http {

/// Names a request so that its answer can come later, in its connection's order.
struct Ticket {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  std::uint64_t seq = 0;
  bool keep_alive = true;
  bool head = false;
  std::chrono::steady_clock::time_point arrived;
};

/// A request as parsed, in place in its connection's buffer: valid during
/// `Handler::on_request` only.
struct Request {
  const RequestParts& parts;
  const char* base;            // where the request starts
  bool from_loopback = false;  // the peer is 127.0.0.0/8 or ::1 (a local process)
  [[nodiscard]] std::string_view method() const noexcept { return parts.method.in(base); }
  [[nodiscard]] std::string_view target() const noexcept { return parts.target.in(base); }
  [[nodiscard]] std::string_view body() const noexcept { return parts.body_in(base); }
  /// The first header named `name` (any case), or none.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
    for (const auto& [n, v] : parts.headers) {
      if (nimbus::detail::iequals(n.in(base), name)) return v.in(base);
    }
    return std::nullopt;
  }
};

class Server {
 public:
  /// What requests become.
  class Handler {
   public:
    Handler() = default;
    Handler(const Handler&) = delete;
    Handler& operator=(const Handler&) = delete;
    virtual ~Handler() = default;
    /// A whole request: answer it with `Server::answer(ticket, ...)`, now or later.
    virtual void on_request(const Request& request, const Ticket& ticket) = 0;
    /// The server answered one itself: 400 (malformed), 413 (body too large), 431 (headers too large).
    virtual void on_rejected(int status) { (void)status; }
  };

  struct Options {
    std::string host = "0.0.0.0";
    int port = 0;  ///< 0 picks a free one
    std::size_t max_body_bytes = std::size_t{1} << 20;
    std::string what = "HTTP";  ///< names it in errors ("cannot listen on ...")
  };

  static constexpr std::uint32_t kHeaderLimit = 64U << 10;  // larger request headers get 431

  /// Listens (connections wait in the kernel's queue until `start`).
  static Result<std::unique_ptr<Server>> listen(const Options& options, EventLoop& loop,
                                                Handler& handler) noexcept;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  /// Starts accepting connections.
  Result<void> start() noexcept;
  /// Serves `fd`, a connected stream socket, as if it had been accepted (it is
  /// made non-blocking and owned from now on): the seam tests and fuzzers use
  /// to drive the real connection code through one end of a socket pair.
  void adopt(int fd);
  /// The port bound.
  [[nodiscard]] int port() const noexcept { return o_.port; }

  /// Queues the answer to `ticket`'s request; false when its client has gone
  /// (the answer is dropped).
  bool answer(const Ticket& ticket, const Response& response);
  /// Writes the answers queued since the last call: one send per connection.
  void flush();
  /// Closes connections idle for 60 s, or that sent half a request 30 s ago.
  void sweep(std::chrono::steady_clock::time_point now);
  /// Stops accepting (new connections are refused); idle connections close
  /// now, busy ones after their last answer, which says `Connection: close`.
  void drain();
  /// True when no client connection is open.
  [[nodiscard]] bool idle() const noexcept { return open_connections_ == 0; }

 private:
  struct Connection;
  struct Listener;
  Server(Options options, EventLoop& loop, Handler& handler);
  void accept_all();
  void serve(int fd, bool loopback);
  void close_connection(std::uint32_t slot);
  void on_readable(std::uint32_t slot);
  void parse(std::uint32_t slot);
  void reject(std::uint32_t slot, const Response& r);
  void mark_dirty(std::uint32_t slot);
  void write_out(std::uint32_t slot);

  Options o_;
  EventLoop& loop_;
  Handler& handler_;
  int listen_fd_ = -1;
  std::unique_ptr<Listener> listener_;
  bool draining_ = false;
  std::vector<std::unique_ptr<Connection>> connections_;  // by slot
  std::vector<std::uint32_t> free_slots_;
  std::size_t open_connections_ = 0;
  std::vector<std::uint32_t> dirty_;  // connections with answers to write
  DateCache date_;
};

}  // namespace nimbus::engine::http
