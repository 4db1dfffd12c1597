#pragma once
// What the nats trigger and the nats binding share: the server's URL and credentials from
// nuclio's attributes, set on cnats's options, and cnats's own words for a failure.

#include <nats/nats.h>

#include <string>

#include "nimbus/engine/attributes.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine::nats {

/// A NATS server and how to log in: `url` (nats://host:port or tls://host:port), and the
/// attributes `user`, `password`, `token` (each {env: NAME} or {file: path}) and TLS.
struct NatsServer {
  std::string url;
  std::string user;
  std::string password;
  std::string token;
  TlsAttributes tls;  // also on for a tls:// url
};

/// The server of `url` (nats://127.0.0.1:4222 when empty; `url_field` names it in errors) with
/// the credentials and TLS of `a`.
[[nodiscard]] Result<NatsServer> server_attributes(const Attributes& a, std::string url,
                                                   const std::string& url_field);

/// Sets the URL, the credentials and TLS of `server` on `opts`; errors name the attribute (`a.where`).
[[nodiscard]] Result<void> configure(natsOptions* opts, const NatsServer& server, const std::string& where);

/// cnats's last error, or the status's text.
[[nodiscard]] std::string status_text(natsStatus s);

}  // namespace nimbus::engine::nats
