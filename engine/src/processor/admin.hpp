#pragma once
// The admin port: /live (200 while the process runs), /ready (200, or 503
// while draining), /metrics (Prometheus text), /loglevel (GET: the function's
// log level; PUT: change it in every worker; from loopback, or elsewhere with
// the token in NIMBUS_ADMIN_TOKEN as `Authorization: Bearer <token>`). On the processor's loop, on the
// same HTTP server code as the HTTP trigger; it never reaches a worker.

#include <functional>
#include <memory>
#include <string>

#include "../triggers/http/http_server.hpp"
#include "nimbus/engine/event_loop.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/result.hpp"

namespace nimbus::detail {

class AdminPort final : private engine::http::Server::Handler {
 public:
  /// What the admin port reads from its processor.
  struct Sources {
    std::function<bool()> ready;           // false while draining or while a trigger is not ready
    std::function<std::string()> metrics;  // the Prometheus text
    std::function<LogLevel()> log_level;   // the function's log level now
    std::function<void(LogLevel)> set_log_level;
    std::string token;  // what PUT requests from elsewhere than loopback present; empty: none may
  };
  static Result<std::unique_ptr<AdminPort>> listen(const std::string& host, int port, engine::EventLoop& loop,
                                                   Sources sources) noexcept;
  Result<void> start() noexcept { return server_->start(); }
  void after_poll() { server_->flush(); }
  void tick(std::chrono::steady_clock::time_point now) { server_->sweep(now); }
  [[nodiscard]] int port() const noexcept { return server_->port(); }

 private:
  explicit AdminPort(Sources sources) : sources_(std::move(sources)) {}
  void on_request(const engine::http::Request& request, const engine::http::Ticket& ticket) override;
  [[nodiscard]] Response log_level(const engine::http::Request& request) const;
  [[nodiscard]] bool may_change(const engine::http::Request& request) const noexcept;
  Sources sources_;
  std::unique_ptr<engine::http::Server> server_;
};

}  // namespace nimbus::detail
