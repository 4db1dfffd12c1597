// The processor: one thread runs an edge-triggered epoll loop for the HTTP
// trigger and the admin port; requests are parsed by Beast's HTTP/1.1 parser
// in place in each connection's buffer and go to the dispatcher in
// event-loop mode, so a loop iteration's requests reach each worker with one
// wake-up and the workers' answers wake the same loop through one eventfd.
// docs/architecture.md ("The processor") explains the choices.

#include "nimbus/engine/processor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "../util/spin.hpp"
#include "http.hpp"
#include "log_writer.hpp"
#include "metrics.hpp"
#include "nimbus/event_data.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine {
namespace {

constexpr std::uint32_t kHeaderLimit = 64U << 10;           // larger request headers get 431
constexpr std::size_t kMaxPipelined = 64;                   // requests per connection awaiting answers
constexpr std::size_t kReadChunk = 16U << 10;               // bytes asked of each read
constexpr auto kIdleTimeout = std::chrono::seconds(60);     // a keep-alive connection with nothing to do
constexpr auto kRequestTimeout = std::chrono::seconds(30);  // a request that does not finish arriving

// epoll data: small tags for the fixed sockets, connection slots above them.
constexpr std::uint64_t kHttpListener = 0;
constexpr std::uint64_t kAdminListener = 1;
constexpr std::uint64_t kNotify = 2;
constexpr std::uint64_t kFirstConnection = 16;

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

}  // namespace

struct Processor::Impl {
  // One client connection. Requests are parsed in place in `in`; their
  // answers are written in request order (pipelining), whatever order the
  // workers finish them in.
  struct Connection {
    int fd = -1;
    std::uint32_t generation = 0;
    bool admin = false;
    http::InputBuffer in;        // bytes read and not yet consumed
    std::size_t request_at = 0;  // where the request being parsed starts in `in`
    std::size_t parsed = 0;      // bytes of it the parser has taken
    std::optional<http::RequestParser> parser;
    http::RequestParts parts;
    bool sent_continue = false;
    std::string out;  // bytes to write
    std::size_t out_sent = 0;
    struct Pending {
      std::optional<std::string> answer;  // the encoded response, once there
      std::chrono::steady_clock::time_point arrived;
    };
    std::deque<Pending> pending;  // in request order
    std::uint64_t first_seq = 0;  // the sequence number of pending.front()
    bool closing = false;         // close once the pending answers are written
    bool read_paused = false;     // input left unread until the pipeline drains
    bool dirty = false;           // in the to-write list
    std::chrono::steady_clock::time_point last_active;

    // Back to unused, as the next generation (the object stays: callers may hold it).
    void reset() {
      fd = -1;
      ++generation;
      admin = false;
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

  ProcessorOptions o;
  int epoll_fd = -1;
  int notify_fd = -1;
  int http_fd = -1;
  int admin_fd = -1;
  std::unique_ptr<Dispatcher> dispatcher;
  detail::Metrics metrics{""};
  detail::JsonLogWriter logs{-1};
  http::DateCache date;

  std::atomic<bool> stop_requested{false};
  bool draining = false;
  std::vector<std::unique_ptr<Connection>> connections;  // by slot
  std::vector<std::uint32_t> free_slots;
  std::size_t open_connections = 0;
  std::vector<std::uint32_t> dirty;  // connections with answers to write

  // Scratch space for encoding events, reused across requests.
  std::vector<EventParts::Pair> headers;
  std::vector<std::string> field_storage;
  std::vector<EventParts::Pair> fields;
  std::vector<std::byte> encoded;
  std::string id_prefix;
  std::uint64_t next_id = 0;

  ~Impl() {
    dispatcher.reset();
    logs.flush();  // what the last answers logged
    for (auto& c : connections) {
      if (c && c->fd >= 0) close(c->fd);
    }
    for (int fd : {http_fd, admin_fd, notify_fd, epoll_fd}) {
      if (fd >= 0) close(fd);
    }
  }

  // --- connections -----------------------------------------------------------

  void accept_all(int listener, bool admin) {
    for (;;) {
      int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a connection that went away before we took it
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::uint32_t slot = 0;
      if (free_slots.empty()) {
        slot = static_cast<std::uint32_t>(connections.size());
        connections.push_back(std::make_unique<Connection>());
      } else {
        slot = free_slots.back();
        free_slots.pop_back();
      }
      Connection& c = *connections[slot];
      c.fd = fd;
      c.admin = admin;
      c.last_active = std::chrono::steady_clock::now();
      ++open_connections;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.u64 = kFirstConnection + slot;
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
      on_readable(slot);  // the request may already be there
    }
  }

  void close_connection(std::uint32_t slot) {
    Connection& c = *connections[slot];
    if (c.fd < 0) return;
    close(c.fd);
    c.reset();  // answers still on their way find a different generation and are dropped
    free_slots.push_back(slot);
    --open_connections;
  }

  void on_readable(std::uint32_t slot) {
    Connection& c = *connections[slot];
    if (c.fd < 0) return;
    bool eof = false;
    while (!c.read_paused) {
      if (c.in.size() - c.request_at > o.max_body_bytes + kHeaderLimit + kReadChunk) {
        c.read_paused = true;  // more than one request can hold: parse first
        break;
      }
      ssize_t n = read(c.fd, c.in.prepare(kReadChunk), kReadChunk);
      if (n > 0) c.in.commit(static_cast<std::size_t>(n));
      if (n > 0) {
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

  void on_writable(std::uint32_t slot) { write_out(slot); }

  // Parses every complete request in the buffer, up to the pipelining limit.
  void parse(std::uint32_t slot) {
    Connection& c = *connections[slot];
    while (c.fd >= 0 && !c.closing && c.pending.size() < kMaxPipelined &&
           c.in.size() > c.request_at + c.parsed) {
      if (!c.parser) {
        c.parts.clear();
        c.parser.emplace(c.parts);
        c.parser->header_limit(kHeaderLimit);
        c.parser->body_limit(o.max_body_bytes);
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
        auto [status, message] = http::describe_parse_error(ec);
        reject(slot, Response::text(message + "\n", status));
        break;
      }
      const bool keep_alive = c.parser->keep_alive() && !draining;
      const bool head = c.parts.method.in(request) == "HEAD";
      c.pending.push_back({std::nullopt, std::chrono::steady_clock::now()});
      const std::uint64_t seq = c.first_seq + c.pending.size() - 1;
      if (c.admin) {
        answer_admin(slot, request);
      } else {
        submit(slot, seq, request, keep_alive, head);
      }
      if (c.fd < 0) return;
      c.request_at += c.parsed;
      c.parsed = 0;
      c.parser.reset();
      if (!keep_alive) c.closing = true;
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
  void reject(std::uint32_t slot, const Response& r) {
    Connection& c = *connections[slot];
    std::string bytes;
    http::append_response(bytes, r, date.now(), false, false);
    c.pending.push_back({std::move(bytes), std::chrono::steady_clock::now()});
    c.closing = true;
    c.parser.reset();
    metrics.record(r.status(), std::chrono::nanoseconds(0));
    mark_dirty(slot);
  }

  void mark_dirty(std::uint32_t slot) {
    Connection& c = *connections[slot];
    if (!c.dirty) {
      c.dirty = true;
      dirty.push_back(slot);
    }
  }

  // Moves the answers that are next in order to the output and writes.
  void write_out(std::uint32_t slot) {
    Connection& c = *connections[slot];
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

  void flush_dirty() {
    // NOLINTNEXTLINE(modernize-loop-convert): write_out may add to the list while it is walked
    for (std::size_t i = 0; i < dirty.size(); ++i) {
      std::uint32_t slot = dirty[i];
      connections[slot]->dirty = false;
      write_out(slot);
    }
    dirty.clear();
  }

  // --- the HTTP trigger ---------------------------------------------------

  void submit(std::uint32_t slot, std::uint64_t seq, const char* request, bool keep_alive, bool head) {
    Connection& c = *connections[slot];
    auto event = encode(c.parts, request);
    if (!event) {
      complete(slot, c.generation, seq, Response::text(event.error().message + "\n", 400), keep_alive, head);
      return;
    }
    dispatcher->submit(*event,
                       [this, slot, generation = c.generation, seq, keep_alive, head](const Response& r) {
                         complete(slot, generation, seq, r, keep_alive, head);
                       });
  }

  void complete(std::uint32_t slot, std::uint32_t generation, std::uint64_t seq, const Response& r,
                bool keep_alive, bool head) {
    Connection& c = *connections[slot];
    if (c.generation != generation || c.fd < 0 || seq < c.first_seq) {  // the client went away
      metrics.record(r.status(), std::chrono::nanoseconds(0));
      return;
    }
    auto& p = c.pending[seq - c.first_seq];
    metrics.record(r.status(), std::chrono::steady_clock::now() - p.arrived);
    p.answer.emplace();
    http::append_response(*p.answer, r, date.now(), keep_alive && !draining, head);
    if (draining) c.closing = true;
    mark_dirty(slot);
  }

  Result<Event> encode(const http::RequestParts& parts, const char* request) {
    EventParts p;
    headers.clear();
    for (const auto& [n, v] : parts.headers) {
      std::string_view name = n.in(request);
      std::string_view value = v.in(request);
      headers.emplace_back(name, value);
      if (name.size() > 3 && (name[0] == 'c' || name[0] == 'C') && (name[1] == 'e' || name[1] == 'E') &&
          name[2] == '-') {  // a binary-mode CloudEvent
        std::string lower(name.substr(3));
        for (char& ch : lower) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
        if (lower == "type") p.ce_type = value;
        if (lower == "source") p.ce_source = value;
        if (lower == "specversion") p.ce_spec_version = value;
        if (lower == "subject") p.ce_subject = value;
        if (lower == "time") p.ce_time = value;
      }
    }
    if (parts.has_content_type) p.content_type = parts.content_type.in(request);
    std::string_view target = parts.target.in(request);
    fields.clear();
    field_storage.clear();
    p.path = target;
    if (auto q = target.find('?'); q != std::string_view::npos) {
      p.path = target.substr(0, q);
      format::for_each_query_pair(target.substr(q + 1), [&](std::string k, std::string v) {
        field_storage.push_back(std::move(k));
        field_storage.push_back(std::move(v));
      });
      for (std::size_t i = 0; i + 1 < field_storage.size(); i += 2) {
        fields.emplace_back(field_storage[i], field_storage[i + 1]);
      }
    }
    // An id unique to this processor run: a random prefix and a counter.
    std::array<char, 16> counter{};
    auto end = std::to_chars(counter.data(), counter.data() + counter.size(), ++next_id, 16).ptr;
    std::string id = id_prefix;
    id.append(counter.data(), end);

    p.id = id;
    p.trigger_kind = "http";
    p.trigger_name = o.trigger_name;
    p.method = parts.method.in(request);
    p.url = target;
    p.headers = headers;
    p.fields = fields;
    p.body = parts.body_in(request);
    p.timestamp = std::chrono::system_clock::now();
    encoded.resize(p.encoded_size());
    p.encode_to(encoded);
    return Event::from_bytes(encoded);
  }

  // --- the admin port ---------------------------------------------------------

  void answer_admin(std::uint32_t slot, const char* request) {
    Connection& c = *connections[slot];
    std::string_view target = c.parts.target.in(request);
    std::string_view path = target.substr(0, target.find('?'));
    Response r = Response::text("not found; try /live, /ready or /metrics\n", 404);
    if (path == "/live" || path == "/healthz") {
      r = Response::text("live\n");
    } else if (path == "/ready" || path == "/readyz") {
      r = draining ? Response::text("draining\n", 503) : Response::text("ready\n");
    } else if (path == "/metrics") {
      detail::Gauges g{dispatcher->restarts(), dispatcher->in_flight(), o.dispatch.num_workers, !draining};
      r = Response::bytes(metrics.render(g), "text/plain; version=0.0.4; charset=utf-8");
    }
    auto& p = c.pending.back();
    p.answer.emplace();
    http::append_response(*p.answer, r, date.now(), !draining, c.parts.method.in(request) == "HEAD");
    mark_dirty(slot);
  }

  // --- the loop -------------------------------------------------------------

  void begin_drain() {
    draining = true;
    if (http_fd >= 0) {
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, http_fd, nullptr);
      close(http_fd);  // new connections are refused from now on
      http_fd = -1;
    }
    // Idle connections close now; busy ones after their last answer.
    for (std::uint32_t slot = 0; slot < connections.size(); ++slot) {
      Connection& c = *connections[slot];
      if (c.fd < 0) continue;
      c.closing = true;
      if (c.pending.empty() && c.out.empty()) close_connection(slot);
    }
  }

  // Closes connections that sat idle, or sent half a request, for too long.
  void sweep(std::chrono::steady_clock::time_point now) {
    for (std::uint32_t slot = 0; slot < connections.size(); ++slot) {
      Connection& c = *connections[slot];
      if (c.fd < 0 || !c.pending.empty() || !c.out.empty()) continue;
      const bool partial = c.in.size() > c.request_at;
      if (now - c.last_active > (partial ? kRequestTimeout : kIdleTimeout)) close_connection(slot);
    }
  }

  void run() {
    auto drain_deadline = std::chrono::steady_clock::time_point::max();
    auto next_sweep = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    // While events are in flight, spin briefly for their answers before sleeping.
    detail::AdaptiveSpin spin(std::chrono::microseconds(50));
    std::array<epoll_event, 256> events{};
    for (;;) {
      if (stop_requested.load(std::memory_order_relaxed) && !draining) {
        begin_drain();
        drain_deadline =
            std::chrono::steady_clock::now() + o.dispatch.event_timeout + std::chrono::seconds(2);
      }
      if (draining) {
        const bool idle = dispatcher->in_flight() == 0 && dispatcher->records_due() == 0 &&
                          std::all_of(connections.begin(), connections.end(),
                                      [](const auto& c) { return c->fd < 0 || c->admin; });
        if (idle || std::chrono::steady_clock::now() > drain_deadline) break;
      }
      bool spun = false;
      if (dispatcher->in_flight() > 0) spun = spin.spin([&] { return dispatcher->answers_waiting(); });
      // Sleep only when no answer is waiting; while events are in flight,
      // wake every few milliseconds to notice timeouts and crashes.
      int wait_ms = 0;
      if (!spun && o.dispatch.tap != nullptr) o.dispatch.tap->idle();
      const bool sleeping = !spun && dispatcher->prepare_sleep();
      if (sleeping) wait_ms = dispatcher->in_flight() > 0 || draining ? 5 : 1000;
      const auto slept_at = detail::AdaptiveSpin::clock::now();
      int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), wait_ms);
      if (sleeping) {
        dispatcher->end_sleep();
        if (dispatcher->answers_waiting()) spin.slept(detail::AdaptiveSpin::clock::now() - slept_at);
      }
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
        const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
        if (tag == kHttpListener) {
          if (http_fd >= 0) accept_all(http_fd, false);
        } else if (tag == kAdminListener) {
          accept_all(admin_fd, true);
        } else if (tag == kNotify) {
          eventfd_t value = 0;
          eventfd_read(notify_fd, &value);  // the workers are polled below
        } else {
          const auto slot = static_cast<std::uint32_t>(tag - kFirstConnection);
          if ((what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0U) on_readable(slot);
          if ((what & EPOLLOUT) != 0U) on_writable(slot);
        }
      }
      dispatcher->flush();  // one wake-up per worker for this iteration's events
      dispatcher->poll();
      flush_dirty();  // one write per connection for this iteration's answers
      logs.flush();
      if (auto now = std::chrono::steady_clock::now(); now > next_sweep) {
        sweep(now);
        next_sweep = now + std::chrono::seconds(1);
      }
    }
    logs.flush();
    if (o.dispatch.tap != nullptr) o.dispatch.tap->idle();
  }
};

Processor::Processor(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Processor::~Processor() = default;

int Processor::port() const noexcept { return impl_->o.port; }
int Processor::admin_port() const noexcept { return impl_->o.admin_port; }
void Processor::run() { impl_->run(); }

void Processor::request_stop() noexcept {
  impl_->stop_requested.store(true);
  eventfd_write(impl_->notify_fd, 1);
}

Result<std::unique_ptr<Processor>> Processor::start(ProcessorOptions options) noexcept {
  try {
    auto impl = std::make_unique<Impl>();
    Impl& m = *impl;
    m.o = std::move(options);
    m.metrics = detail::Metrics(m.o.trigger_name);
    std::random_device random;
    m.id_prefix = fmt::format("{:08x}{:08x}-", random(), random());

    auto http_fd = listen_on(m.o.host, m.o.port);
    if (!http_fd) return Error{"HTTP trigger: " + http_fd.error().message};
    m.http_fd = *http_fd;
    auto admin_fd = listen_on(m.o.host, m.o.admin_port);
    if (!admin_fd) return Error{"admin port: " + admin_fd.error().message};
    m.admin_fd = *admin_fd;
    m.notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    m.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (m.notify_fd < 0 || m.epoll_fd < 0)
      return Error{std::string("eventfd/epoll: ") + std::strerror(errno)};
    for (auto [fd, tag] : {std::pair{m.http_fd, kHttpListener}, std::pair{m.admin_fd, kAdminListener},
                           std::pair{m.notify_fd, kNotify}}) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = tag;
      epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    }

    m.o.dispatch.notify_fd = m.notify_fd;
    if (m.o.log_fd >= 0) {
      m.logs = detail::JsonLogWriter(m.o.log_fd);
      m.o.dispatch.on_log = [&m](const LogEntry& e) { m.logs.add(e); };
    }
    auto dispatcher = Dispatcher::start(m.o.dispatch);
    if (!dispatcher) return dispatcher.error();
    m.dispatcher = std::move(*dispatcher);
    m.logs.flush();  // the init hooks' logs
    return std::unique_ptr<Processor>(new Processor(std::move(impl)));
  } catch (const std::exception& e) {
    return Error{std::string("starting the processor: ") + e.what()};
  }
}

}  // namespace nimbus::engine
