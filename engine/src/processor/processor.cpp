// The processor: libh2o's event loop runs the HTTP trigger and the admin
// port on one thread; events go to the dispatcher in event-loop mode, so a
// loop iteration's requests reach each worker with one wake-up and the
// workers' answers wake the same loop through one eventfd.
// docs/architecture.md ("The processor") explains the choices.

#include "nimbus/engine/processor.hpp"

#include <arpa/inet.h>
#include <h2o.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "../util/spin.hpp"
#include "../util/url.hpp"
#include "log_writer.hpp"
#include "metrics.hpp"
#include "nimbus/event_data.hpp"

namespace nimbus::engine {
namespace {

std::string_view view(h2o_iovec_t v) noexcept { return {v.base, v.len}; }

const char* reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Error";
  }
}

bool equals_lowercase(std::string_view name, std::string_view lower) noexcept {
  return name.size() == lower.size() && std::equal(name.begin(), name.end(), lower.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? static_cast<char>(a + ('a' - 'A')) : a) == b;
         });
}

// Headers the HTTP layer owns: a function's response cannot set them.
bool framing_header(std::string_view name) noexcept {
  return equals_lowercase(name, "content-length") || equals_lowercase(name, "transfer-encoding") ||
         equals_lowercase(name, "connection");
}

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
  // h2o calls handlers with its own struct; ours extends it with the processor.
  struct Handler {
    h2o_handler_t super;
    Impl* self;
  };
  // A request between its arrival and its pool's disposal. The generation
  // tells a late answer (the client went away) from the current one.
  struct Live {
    h2o_req_t* req = nullptr;
    std::uint32_t generation = 0;
    std::chrono::steady_clock::time_point arrived;
  };
  // Lives in the request's memory pool; its disposal frees the Live slot.
  struct Guard {
    Impl* self;
    std::uint32_t index;
    std::uint32_t generation;
  };

  ProcessorOptions o;
  int notify_fd = -1;
  std::unique_ptr<Dispatcher> dispatcher;
  detail::Metrics metrics{""};
  detail::JsonLogWriter logs{-1};

  h2o_evloop_t* loop = nullptr;
  h2o_globalconf_t http_conf{};
  h2o_globalconf_t admin_conf{};
  h2o_context_t http_ctx{};
  h2o_context_t admin_ctx{};
  h2o_accept_ctx_t http_accept{};
  h2o_accept_ctx_t admin_accept{};
  h2o_socket_t* http_listener = nullptr;
  h2o_socket_t* admin_listener = nullptr;
  h2o_socket_t* notify_socket = nullptr;
  bool configs_ready = false;
  bool contexts_ready = false;

  std::atomic<bool> stop_requested{false};
  bool draining = false;
  std::vector<Live> live;
  std::vector<std::uint32_t> free_live;
  std::size_t live_count = 0;

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
    if (http_listener != nullptr) h2o_socket_close(http_listener);
    if (admin_listener != nullptr) h2o_socket_close(admin_listener);
    bool disposable = true;
    if (contexts_ready) {
      // h2o can dispose a context only once its connections are gone: ask
      // them to close, give them a moment, and otherwise leave h2o's state
      // to the process exit (kept reachable, so leak checkers stay quiet).
      h2o_context_request_shutdown(&http_ctx);
      h2o_context_request_shutdown(&admin_ctx);
      for (int i = 0; i < 100 && !connections_closed(); ++i) h2o_evloop_run(loop, 1);
      disposable = connections_closed();
      if (disposable) {
        for (h2o_context_t* ctx : {&http_ctx, &admin_ctx}) {  // request_shutdown's HTTP/2 timer
          if (h2o_timeout_is_linked(&ctx->http2._graceful_shutdown_timeout)) {
            h2o_timeout_unlink(&ctx->http2._graceful_shutdown_timeout);
          }
        }
        h2o_context_dispose(&http_ctx);
        h2o_context_dispose(&admin_ctx);
      }
    }
    if (notify_socket != nullptr) h2o_socket_close(notify_socket);  // closes notify_fd
    if (!disposable) {
      static std::vector<h2o_evloop_t*> abandoned;
      abandoned.push_back(loop);
      return;
    }
    if (loop != nullptr) {
      h2o_evloop_run(loop, 0);  // lets h2o finish closing the sockets
      h2o_evloop_destroy(loop);
    }
    if (configs_ready) {
      h2o_config_dispose(&http_conf);
      h2o_config_dispose(&admin_conf);
    }
    if (notify_socket == nullptr && notify_fd >= 0) close(notify_fd);
  }

  [[nodiscard]] bool connections_closed() noexcept {
    return h2o_linklist_is_empty(&http_ctx.http1._conns) && h2o_linklist_is_empty(&admin_ctx.http1._conns);
  }

  static void register_handler(h2o_globalconf_t& conf, Impl* self, int (*on_req)(h2o_handler_t*, h2o_req_t*)) {
    h2o_hostconf_t* host = h2o_config_register_host(&conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t* path = h2o_config_register_path(host, "/", 0);
    auto* h = static_cast<Handler*>(static_cast<void*>(h2o_create_handler(path, sizeof(Handler))));
    h->super.on_req = on_req;
    h->self = self;
  }

  static Impl* of(h2o_handler_t* h) noexcept { return static_cast<Handler*>(static_cast<void*>(h))->self; }

  static void on_accept(h2o_socket_t* listener, const char* err) {
    if (err != nullptr) return;
    auto* accept = static_cast<h2o_accept_ctx_t*>(listener->data);
    // Accept the whole backlog: one wake-up, many connections.
    for (int i = 0; i < 64; ++i) {
      h2o_socket_t* sock = h2o_evloop_socket_accept(listener);
      if (sock == nullptr) return;
      h2o_accept(accept, sock);
    }
  }

  static void on_notify(h2o_socket_t* sock, const char* err) {
    if (err != nullptr) return;
    eventfd_t value = 0;
    eventfd_read(h2o_socket_get_fd(sock), &value);  // the loop polls the workers after every iteration
  }

  static h2o_socket_t* watch(h2o_evloop_t* loop, int fd, void* data, h2o_socket_cb cb) {
    h2o_socket_t* sock = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = data;
    h2o_socket_read_start(sock, cb);
    return sock;
  }

  // --- the HTTP trigger ---------------------------------------------------

  static int on_http(h2o_handler_t* h, h2o_req_t* req) { return of(h)->handle(req); }

  int handle(h2o_req_t* req) {
    std::uint32_t index = 0;
    if (free_live.empty()) {
      index = static_cast<std::uint32_t>(live.size());
      live.emplace_back();
    } else {
      index = free_live.back();
      free_live.pop_back();
    }
    Live& l = live[index];
    l.req = req;
    l.arrived = std::chrono::steady_clock::now();
    ++live_count;
    auto* guard = static_cast<Guard*>(h2o_mem_alloc_shared(&req->pool, sizeof(Guard), &on_request_disposed));
    *guard = Guard{this, index, l.generation};

    auto event = encode(req);
    if (!event) {
      send(req, Response::text(event.error().message + "\n", 400));
      return 0;
    }
    dispatcher->submit(*event, [this, index, generation = l.generation](Response r) {
      answer(index, generation, std::move(r));
    });
    return 0;
  }

  static void on_request_disposed(void* p) {
    auto* g = static_cast<Guard*>(p);
    Impl* self = g->self;
    Live& l = self->live[g->index];
    if (l.generation != g->generation) return;
    l.req = nullptr;
    ++l.generation;
    self->free_live.push_back(g->index);
    --self->live_count;
  }

  Result<Event> encode(h2o_req_t* req) {
    EventParts p;
    headers.clear();
    for (std::size_t i = 0; i < req->headers.size; ++i) {
      const h2o_header_t& h = req->headers.entries[i];
      std::string_view name = h.orig_name != nullptr ? std::string_view(h.orig_name, h.name->len) : view(*h.name);
      std::string_view value = view(h.value);
      headers.emplace_back(name, value);
      if (h.name->len > 3 && std::memcmp(h.name->base, "ce-", 3) == 0) {  // a binary-mode CloudEvent
        std::string_view attr = view(*h.name).substr(3);
        if (attr == "type") p.ce_type = value;
        if (attr == "source") p.ce_source = value;
        if (attr == "specversion") p.ce_spec_version = value;
        if (attr == "subject") p.ce_subject = value;
        if (attr == "time") p.ce_time = value;
      }
    }
    if (ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1); ct >= 0) {
      p.content_type = view(req->headers.entries[ct].value);
    }
    std::string_view target = view(req->path);
    fields.clear();
    field_storage.clear();
    p.path = target;
    if (req->query_at != SIZE_MAX) {
      p.path = target.substr(0, req->query_at);
      detail::for_each_query_pair(target.substr(req->query_at + 1), [&](std::string k, std::string v) {
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
    p.method = view(req->method);
    p.url = target;
    p.headers = headers;
    p.fields = fields;
    p.body = req->entity.base != nullptr ? view(req->entity) : std::string_view();
    p.timestamp = std::chrono::system_clock::now();
    encoded.resize(p.encoded_size());
    p.encode_to(encoded);
    return Event::from_bytes(encoded);
  }

  void answer(std::uint32_t index, std::uint32_t generation, Response r) {
    Live& l = live[index];
    if (l.generation != generation || l.req == nullptr) {  // the client went away
      metrics.record(r.status(), std::chrono::nanoseconds(0));
      return;
    }
    metrics.record(r.status(), std::chrono::steady_clock::now() - l.arrived);
    send(l.req, r);
  }

  void send(h2o_req_t* req, const Response& r) {
    req->res.status = r.status();
    req->res.reason = reason_phrase(r.status());
    if (!r.content_type().empty()) {
      h2o_iovec_t ct = h2o_strdup(&req->pool, r.content_type().data(), r.content_type().size());
      h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, nullptr, ct.base, ct.len);
    }
    for (const auto& [name, value] : r.headers()) {
      if (framing_header(name) || (!r.content_type().empty() && equals_lowercase(name, "content-type"))) continue;
      h2o_iovec_t n = h2o_strdup(&req->pool, name.data(), name.size());
      h2o_iovec_t v = h2o_strdup(&req->pool, value.data(), value.size());
      h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 0, nullptr, v.base, v.len);
    }
    if (draining) req->http1_is_persistent = 0;
    req->res.content_length = r.body().size();
    static h2o_generator_t generator{nullptr, nullptr};
    h2o_start_response(req, &generator);
    h2o_iovec_t body = h2o_strdup(&req->pool, r.body().data(), r.body().size());
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
  }

  // --- the admin port -------------------------------------------------------

  static int on_admin(h2o_handler_t* h, h2o_req_t* req) { return of(h)->admin(req); }

  int admin(h2o_req_t* req) {
    std::string_view path = view(req->path_normalized);
    if (path == "/live" || path == "/healthz") {
      send(req, Response::text("live\n"));
    } else if (path == "/ready" || path == "/readyz") {
      send(req, draining ? Response::text("draining\n", 503) : Response::text("ready\n"));
    } else if (path == "/metrics") {
      detail::Gauges g{dispatcher->restarts(), dispatcher->in_flight(), o.dispatch.num_workers, !draining};
      send(req, Response::bytes(metrics.render(g), "text/plain; version=0.0.4; charset=utf-8"));
    } else {
      send(req, Response::text("not found; try /live, /ready or /metrics\n", 404));
    }
    return 0;
  }

  // --- the loop -------------------------------------------------------------

  void begin_drain() {
    draining = true;
    if (http_listener != nullptr) {
      h2o_socket_read_stop(http_listener);
      h2o_socket_close(http_listener);
      http_listener = nullptr;
    }
    h2o_context_request_shutdown(&http_ctx);  // idle keep-alive connections close; busy ones after their answer
  }

  void run() {
    auto drain_deadline = std::chrono::steady_clock::time_point::max();
    std::size_t answered = 0;
    // While events are in flight, spin briefly for their answers before sleeping.
    detail::AdaptiveSpin spin(std::chrono::microseconds(50));
    bool spun = false;
    for (;;) {
      if (stop_requested.load(std::memory_order_relaxed) && !draining) {
        begin_drain();
        drain_deadline = std::chrono::steady_clock::now() + o.dispatch.event_timeout + std::chrono::seconds(2);
      }
      if (draining) {
        const bool idle = live_count == 0 && dispatcher->in_flight() == 0 &&
                          h2o_linklist_is_empty(&http_ctx.http1._conns);
        if (idle || std::chrono::steady_clock::now() > drain_deadline) {
          logs.flush();
          return;
        }
      }
      // Sleep only when no answer is waiting; while events are in flight,
      // wake every few milliseconds to notice timeouts and crashes.
      // Answers sent last iteration are written by h2o at the start of this
      // one: never sleep before that.
      std::int32_t wait_ms = 0;
      if (answered == 0 && dispatcher->in_flight() > 0) {
        spun = spin.spin([&] { return dispatcher->answers_waiting(); });
      }
      const bool sleeping = answered == 0 && dispatcher->prepare_sleep();
      const auto slept_at = detail::AdaptiveSpin::clock::now();
      if (sleeping) wait_ms = dispatcher->in_flight() > 0 || draining ? 5 : 1000;
      h2o_evloop_run(loop, wait_ms);
      if (sleeping) {
        dispatcher->end_sleep();
        if (!spun && dispatcher->answers_waiting()) spin.slept(detail::AdaptiveSpin::clock::now() - slept_at);
      }
      spun = false;
      dispatcher->flush();  // one wake-up per worker for this iteration's events
      answered = dispatcher->poll();
      logs.flush();
    }
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
    auto admin_fd = listen_on(m.o.host, m.o.admin_port);
    if (!admin_fd) {
      close(*http_fd);
      return Error{"admin port: " + admin_fd.error().message};
    }

    m.notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m.notify_fd < 0) {
      close(*http_fd);
      close(*admin_fd);
      return Error{std::string("eventfd: ") + std::strerror(errno)};
    }
    m.o.dispatch.notify_fd = m.notify_fd;
    if (m.o.log_fd >= 0) {
      m.logs = detail::JsonLogWriter(m.o.log_fd);
      m.o.dispatch.on_log = [&m](const LogEntry& e) { m.logs.add(e); };
    }

    h2o_config_init(&m.http_conf);
    h2o_config_init(&m.admin_conf);
    m.configs_ready = true;
    m.http_conf.server_name = h2o_iovec_init(H2O_STRLIT("nimbus"));
    m.admin_conf.server_name = m.http_conf.server_name;
    m.http_conf.max_request_entity_size = m.o.max_body_bytes;
    Impl::register_handler(m.http_conf, &m, &Impl::on_http);
    Impl::register_handler(m.admin_conf, &m, &Impl::on_admin);
    m.loop = h2o_evloop_create();
    h2o_context_init(&m.http_ctx, m.loop, &m.http_conf);
    h2o_context_init(&m.admin_ctx, m.loop, &m.admin_conf);
    m.contexts_ready = true;
    m.http_accept.ctx = &m.http_ctx;
    m.http_accept.hosts = m.http_conf.hosts;
    m.admin_accept.ctx = &m.admin_ctx;
    m.admin_accept.hosts = m.admin_conf.hosts;
    m.http_listener = Impl::watch(m.loop, *http_fd, &m.http_accept, &Impl::on_accept);
    m.admin_listener = Impl::watch(m.loop, *admin_fd, &m.admin_accept, &Impl::on_accept);
    m.notify_socket = Impl::watch(m.loop, m.notify_fd, &m, &Impl::on_notify);

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
