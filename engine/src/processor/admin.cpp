#include "admin.hpp"

#include "nimbus/detail/json_string.hpp"
#include "nimbus/format/text.hpp"

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
  Response r = Response::text("not found; try /live, /ready, /metrics or /loglevel\n", 404);
  if (path == "/live" || path == "/healthz") {
    r = Response::text("live\n");
  } else if (path == "/ready" || path == "/readyz") {
    r = sources_.ready() ? Response::text("ready\n") : Response::text("not ready\n", 503);
  } else if (path == "/metrics") {
    r = Response::bytes(sources_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  } else if (path == "/loglevel") {
    r = log_level(request);
  }
  server_->answer(ticket, r);
}

Response AdminPort::log_level(const engine::http::Request& request) const {
  const std::string_view method = request.method();
  if (method == "GET" || method == "HEAD") {
    return Response::json({{"level", std::string(to_string(sources_.log_level()))}});
  }
  if (method != "PUT")
    return Response::text("/loglevel takes GET or PUT\n", 405).with_header("Allow", "GET, PUT");
  if (!may_change(request)) {
    return Response::text(
        sources_.token.empty()
            ? "PUT /loglevel is taken from loopback only (set NIMBUS_ADMIN_TOKEN to allow others)\n"
            : "PUT /loglevel from elsewhere than loopback needs Authorization: Bearer <token>\n",
        403);
  }
  // The body is the level, as text (`debug`) or as JSON (`{"level": "debug"}`).
  std::string asked(format::trim(request.body()));
  if (asked.starts_with('{')) {
    const Json j = Json::parse(asked, nullptr, false);
    asked =
        j.is_object() && j.contains("level") && j["level"].is_string() ? j["level"].get<std::string>() : "";
    if (asked.empty()) return Response::text("expected {\"level\": \"debug|info|warn|error\"}\n", 400);
  }
  const auto level = parse_log_level(asked);
  if (!level) {
    std::string shown;  // quoted and escaped: the body may be any bytes
    nimbus::detail::append_json_string(shown, std::string_view(asked).substr(0, 40));
    return Response::text("unknown log level " + shown + "; expected debug, info, warn or error\n", 400);
  }
  sources_.set_log_level(*level);
  return Response::json({{"level", std::string(to_string(*level))}});
}

bool AdminPort::may_change(const engine::http::Request& request) const noexcept {
  if (request.from_loopback) return true;
  if (sources_.token.empty()) return false;
  const auto given = request.header("Authorization");
  if (!given || !given->starts_with("Bearer ")) return false;
  const std::string_view token = given->substr(7);
  // The same time whatever prefix matches: the comparison does not tell a guesser how close it was.
  unsigned char differ = token.size() == sources_.token.size() ? 0 : 1;
  for (std::size_t i = 0; i < sources_.token.size(); ++i) {
    differ |= static_cast<unsigned char>(sources_.token[i] ^ (i < token.size() ? token[i] : 0));
  }
  return differ == 0;
}

}  // namespace nimbus::detail
