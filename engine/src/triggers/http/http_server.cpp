#include "http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstring>

namespace nimbus::engine::http {
namespace {

constexpr std::size_t kMaxPipelined = 64;                   // requests per connection awaiting answers
constexpr std::size_t kReadChunk = 16U << 10;               // bytes asked of each read
constexpr auto kIdleTimeout = std::chrono::seconds(60);     // a keep-alive connection with nothing to do
constexpr auto kRequestTimeout = std::chrono::seconds(30);  // a request that does not finish arriving

// Binds a listening TCP socket; the port actually bound goes to `port`.
Result<int> listen_on(const std::string& host, int& port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Error{"'" + host + "' is not an IPv4 address to listen on"};
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Error{std::string("socket: ") + std::strerror(errno)};
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API takes a sockaddr*
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (bind(fd, sa, sizeof addr) != 0 || listen(fd, SOMAXCONN) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return Error{"cannot listen on " + host + ":" + std::to_string(port) + ": " + why};
  }
  socklen_t len = sizeof addr;
  getsockname(fd, sa, &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// True when `peer` is on this machine's loopback (127.0.0.0/8, ::1, a v4-mapped 127.x); a
// Unix socket counts too.
bool is_loopback(const sockaddr_storage& peer) noexcept {
  if (peer.ss_family == AF_UNIX) return true;
  if (peer.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&peer);
    return (ntohl(in->sin_addr.s_addr) >> 24U) == 127U;
  }
  if (peer.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

bool peer_is_loopback(int fd) noexcept {
  sockaddr_storage peer{};
  socklen_t size = sizeof peer;
  return getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &size) == 0 && is_loopback(peer);
}

}  // namespace

// One client connection. Requests are parsed in place in `in`; their answers
// are written in request order (pipelining), whatever order they come in.
struct Server::Connection final : EventLoop::Watcher {
  Server* server = nullptr;
  std::uint32_t slot = 0;
  int fd = -1;
  std::uint32_t generation = 0;
  InputBuffer in;              // bytes read and not yet consumed
  std::size_t request_at = 0;  // where the request being parsed starts in `in`
  std::size_t parsed = 0;      // bytes of it the parser has taken
  std::optional<RequestParser> parser;
  RequestParts parts;
  bool sent_continue = false;
  bool loopback = false;  // the peer is a local process
  std::string out;        // bytes to write
  std::size_t out_sent = 0;
  struct Pending {
    std::optional<std::string> answer;  // the encoded response, once there
  };
  std::deque<Pending> pending;  // in request order
  std::uint64_t first_seq = 0;  // the sequence number of pending.front()
  bool closing = false;         // close once the pending answers are written
  bool read_paused = false;     // input left unread until the pipeline drains
  bool dirty = false;           // in the to-write list
  std::chrono::steady_clock::time_point last_active;

  void on_ready(std::uint32_t events) override {
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0U) server->on_readable(slot);
    if ((events & EPOLLOUT) != 0U) server->write_out(slot);
  }

  // Back to unused, as the next generation (the object stays: answers on their way find it).
  void reset() {
    fd = -1;
    ++generation;
    in.clear();
    request_at = parsed = 0;
    parser.reset();
    parts.clear();
    sent_continue = false;
    out.clear();
    out_sent = 0;
    pending.clear();
    first_seq = 0;
    closing = read_paused = false;  // `dirty` stays: the to-write list may still name this slot
  }
};

struct Server::Listener final : EventLoop::Watcher {
  Server* server = nullptr;
  void on_ready(std::uint32_t /*events*/) override { server->accept_all(); }
};

Server::Server(Options options, EventLoop& loop, Handler& handler)
    : o_(std::move(options)), loop_(loop), handler_(handler) {}

Server::~Server() {
  for (auto& c : connections_) {
    if (c && c->fd >= 0) close(c->fd);
  }
  if (listen_fd_ >= 0) {
    loop_.unwatch(listen_fd_);
    close(listen_fd_);
  }
}

Result<std::unique_ptr<Server>> Server::listen(const Options& options, EventLoop& loop,
                                               Handler& handler) noexcept {
  try {
    std::unique_ptr<Server> s(new Server(options, loop, handler));
    auto fd = listen_on(s->o_.host, s->o_.port);
    if (!fd) return Error{s->o_.what + ": " + fd.error().message};
    s->listen_fd_ = *fd;
    s->listener_ = std::make_unique<Listener>();
    s->listener_->server = s.get();
    return s;
  } catch (const std::exception& e) {
    return Error{options.what + ": " + e.what()};
  }
}

Result<void> Server::start() noexcept { return loop_.watch(listen_fd_, EPOLLIN, listener_.get()); }

void Server::accept_all() {
  while (listen_fd_ >= 0) {
    sockaddr_storage peer{};
    socklen_t size = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a connection that went away before we took it
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    serve(fd, is_loopback(peer));
  }
}

void Server::adopt(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  serve(fd, peer_is_loopback(fd));
}

void Server::serve(int fd, bool loopback) {
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(connections_.size());
    connections_.push_back(std::make_unique<Connection>());
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Connection& c = *connections_[slot];
  c.server = this;
  c.slot = slot;
  c.fd = fd;
  c.loopback = loopback;
  c.last_active = std::chrono::steady_clock::now();
  ++open_connections_;
  if (!loop_.watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c)) {
    close_connection(slot);
    return;
  }
  on_readable(slot);  // the request may already be there
}

void Server::close_connection(std::uint32_t slot) {
  Connection& c = *connections_[slot];
  if (c.fd < 0) return;
  close(c.fd);  // which leaves the epoll set too: no other descriptor shares it (CLOEXEC)
  c.reset();    // answers still on their way find a different generation and are dropped
  free_slots_.push_back(slot);
  --open_connections_;
}

void Server::on_readable(std::uint32_t slot) {
  Connection& c = *connections_[slot];
  if (c.fd < 0) return;
  bool eof = false;
  while (!c.read_paused) {
    if (c.in.size() - c.request_at > o_.max_body_bytes + kHeaderLimit + kReadChunk) {
      c.read_paused = true;  // more than one request can hold: parse first
      break;
    }
    ssize_t n = read(c.fd, c.in.prepare(kReadChunk), kReadChunk);
    if (n > 0) {
      c.in.commit(static_cast<std::size_t>(n));
      c.last_active = std::chrono::steady_clock::now();
      if (static_cast<std::size_t>(n) < kReadChunk)
        break;  // drained for now (edge-triggered: no EAGAIN needed)
      continue;
    }
    if (n == 0) eof = true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) eof = true;
    break;
  }
  parse(slot);
  if (eof && c.fd >= 0) {
    // The client finished sending: answer what it asked, then close.
    c.closing = true;
    if (c.pending.empty()) close_connection(slot);
  }
}

// Parses every complete request in the buffer, up to the pipelining limit.
void Server::parse(std::uint32_t slot) {
  Connection& c = *connections_[slot];
  while (c.fd >= 0 && !c.closing && c.pending.size() < kMaxPipelined &&
         c.in.size() > c.request_at + c.parsed) {
    if (!c.parser) {
      c.parts.clear();
      c.parser.emplace(c.parts);
      c.parser->header_limit(kHeaderLimit);
      c.parser->body_limit(o_.max_body_bytes);
      c.parser->eager(true);
      c.sent_continue = false;
    }
    const char* request = c.in.data() + c.request_at;
    c.parser->rebase(request, c.in.size() - c.request_at);
    boost::beast::error_code ec;
    c.parsed += c.parser->put(
        boost::asio::const_buffer(request + c.parsed, c.in.size() - c.request_at - c.parsed), ec);
    if (ec == boost::beast::http::error::need_more || (!ec && !c.parser->is_done())) {
      if (c.parser->is_header_done() && c.parts.expect_continue && !c.sent_continue && c.pending.empty()) {
        c.sent_continue = true;
        c.out += "HTTP/1.1 100 Continue\r\n\r\n";
        mark_dirty(slot);
      }
      break;
    }
    if (ec) {
      auto [status, message] = describe_parse_error(ec);
      reject(slot, Response::text(message + "\n", status));
      break;
    }
    Ticket ticket;
    ticket.slot = slot;
    ticket.generation = c.generation;
    ticket.keep_alive = c.parser->keep_alive() && !draining_;
    ticket.head = c.parts.method.in(request) == "HEAD";
    ticket.arrived = std::chrono::steady_clock::now();
    c.pending.emplace_back();
    ticket.seq = c.first_seq + c.pending.size() - 1;
    handler_.on_request(Request{c.parts, request, c.loopback}, ticket);
    if (c.fd < 0) return;
    c.request_at += c.parsed;
    c.parsed = 0;
    c.parser.reset();
    if (!ticket.keep_alive) c.closing = true;
  }
  // Keep the buffer small: drop what was consumed.
  if (!c.parser && c.request_at == c.in.size()) {
    c.in.clear();
    c.request_at = 0;
  } else if (c.request_at > kReadChunk && !c.parser) {
    c.in.consume(c.request_at);
    c.request_at = 0;
  }
}

// Answers a request that could not be parsed, after the ones before it, and closes.
void Server::reject(std::uint32_t slot, const Response& r) {
  Connection& c = *connections_[slot];
  std::string bytes;
  append_response(bytes, r, date_.now(), false, false);
  c.pending.push_back({std::move(bytes)});
  c.closing = true;
  c.parser.reset();
  handler_.on_rejected(r.status());
  mark_dirty(slot);
}

bool Server::answer(const Ticket& t, const Response& r) {
  if (t.slot >= connections_.size()) return false;
  Connection& c = *connections_[t.slot];
  if (c.generation != t.generation || c.fd < 0 || t.seq < c.first_seq ||
      t.seq - c.first_seq >= c.pending.size()) {
    return false;  // the client went away
  }
  auto& p = c.pending[t.seq - c.first_seq];
  p.answer.emplace();
  append_response(*p.answer, r, date_.now(), t.keep_alive && !draining_, t.head);
  if (draining_) c.closing = true;
  mark_dirty(t.slot);
  return true;
}

void Server::mark_dirty(std::uint32_t slot) {
  Connection& c = *connections_[slot];
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(slot);
  }
}

// Moves the answers that are next in order to the output and writes.
void Server::write_out(std::uint32_t slot) {
  Connection& c = *connections_[slot];
  if (c.fd < 0) return;
  while (!c.pending.empty() && c.pending.front().answer) {
    c.out += *c.pending.front().answer;
    c.pending.pop_front();
    ++c.first_seq;
  }
  while (c.out_sent < c.out.size()) {
    ssize_t n = send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;  // EPOLLOUT calls again
    close_connection(slot);                // the client is gone
    return;
  }
  c.out.clear();
  c.out_sent = 0;
  c.last_active = std::chrono::steady_clock::now();
  if (c.closing && c.pending.empty()) {
    close_connection(slot);
    return;
  }
  if (c.read_paused && c.pending.size() < kMaxPipelined) {
    c.read_paused = false;
    on_readable(slot);
  } else if (c.pending.empty() && c.in.size() > c.request_at) {
    parse(slot);  // pipelined requests waiting for room
  }
}

void Server::flush() {
  // NOLINTNEXTLINE(modernize-loop-convert): write_out may add to the list while it is walked
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    std::uint32_t slot = dirty_[i];
    connections_[slot]->dirty = false;
    write_out(slot);
  }
  dirty_.clear();
}

void Server::drain() {
  draining_ = true;
  if (listen_fd_ >= 0) {
    loop_.unwatch(listen_fd_);
    close(listen_fd_);  // new connections are refused from now on
    listen_fd_ = -1;
  }
  // Idle connections close now; busy ones after their last answer.
  for (std::uint32_t slot = 0; slot < connections_.size(); ++slot) {
    Connection& c = *connections_[slot];
    if (c.fd < 0) continue;
    c.closing = true;
    if (c.pending.empty() && c.out.empty()) close_connection(slot);
  }
}

void Server::sweep(std::chrono::steady_clock::time_point now) {
  for (std::uint32_t slot = 0; slot < connections_.size(); ++slot) {
    Connection& c = *connections_[slot];
    if (c.fd < 0 || !c.pending.empty() || !c.out.empty()) continue;
    const bool partial = c.in.size() > c.request_at;
    if (now - c.last_active > (partial ? kRequestTimeout : kIdleTimeout)) close_connection(slot);
  }
}

}  // namespace nimbus::engine::http
