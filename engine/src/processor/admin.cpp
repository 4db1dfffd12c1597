#include "admin.hpp"

namespace nimbus::detail {

Result<std::unique_ptr<AdminPort>> AdminPort::listen(const std::string& host, int port,
                                                     engine::EventLoop& loop, Sources sources) noexcept {
  try {
    std::unique_ptr<AdminPort> admin(new AdminPort(std::move(sources)));
    engine::http::Server::Options o;
    o.host = host;
    o.port = port;
    o.max_body_bytes = 64U << 10;
    o.what = "admin port";
    auto server = engine::http::Server::listen(o, loop, *admin);
    if (!server) return server.error();
    admin->server_ = std::move(*server);
    return admin;
  } catch (const std::exception& e) {
    return Error{std::string("admin port: ") + e.what()};
  }
}

void AdminPort::on_request(const engine::http::Request& request, const engine::http::Ticket& ticket) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  Response r = Response::text("not found; try /live, /ready or /metrics\n", 404);
  if (path == "/live" || path == "/healthz") {
    r = Response::text("live\n");
  } else if (path == "/ready" || path == "/readyz") {
    r = sources_.ready() ? Response::text("ready\n") : Response::text("not ready\n", 503);
  } else if (path == "/metrics") {
    r = Response::bytes(sources_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  }
  server_->answer(ticket, r);
}

}  // namespace nimbus::detail
