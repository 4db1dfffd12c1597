// What the nats trigger and the nats binding share.
#include "nats_client.hpp"

namespace nimbus::engine::nats {

Result<NatsServer> server_attributes(const Attributes& a, std::string url, const std::string& url_field) {
  NatsServer s;
  s.url = url.empty() ? "nats://127.0.0.1:4222" : std::move(url);
  if (s.url.rfind("nats://", 0) != 0 && s.url.rfind("tls://", 0) != 0)
    return Error{url_field + ": expected nats://host:port or tls://host:port, got '" + s.url + "'"};
  if (s.url.find('@') != std::string::npos) {
    return Error{url_field +
                 ": credentials never go in function.yaml: name them in attributes.user/password/token "
                 "as {env: NAME} or {file: path}"};
  }
  for (auto [key, into] :
       {std::pair{"user", &s.user}, std::pair{"password", &s.password}, std::pair{"token", &s.token}}) {
    auto secret = secret_attribute(a, key);
    if (!secret) return secret.error();
    *into = *secret;
  }
  auto tls = tls_attributes(a);
  if (!tls) return tls.error();
  s.tls = std::move(*tls);
  if (s.url.rfind("tls://", 0) == 0) s.tls.enable = true;
  return s;
}

Result<void> configure(natsOptions* opts, const NatsServer& server, const std::string& where) {
  natsOptions_SetURL(opts, server.url.c_str());
  if (!server.user.empty()) natsOptions_SetUserInfo(opts, server.user.c_str(), server.password.c_str());
  if (!server.token.empty()) natsOptions_SetToken(opts, server.token.c_str());
  const TlsAttributes& t = server.tls;
  if (!t.enable) return {};
  if (natsStatus s = natsOptions_SetSecure(opts, true); s != NATS_OK)
    return Error{where + ".tls: " + status_text(s)};
  if (!t.verify) natsOptions_SkipServerVerification(opts, true);
  if (!t.ca_file.empty()) {
    if (natsStatus s = natsOptions_LoadCATrustedCertificates(opts, t.ca_file.c_str()); s != NATS_OK)
      return Error{where + ".caCert: " + t.ca_file + ": " + status_text(s)};
  }
  if (!t.ca_pem.empty()) {
    if (natsStatus s = natsOptions_SetCATrustedCertificates(opts, t.ca_pem.c_str()); s != NATS_OK)
      return Error{where + ".caCert: " + status_text(s)};
  }
  if (!t.cert_pem.empty() || !t.key_pem.empty()) {
    if (natsStatus s = natsOptions_SetCertificatesChain(opts, t.cert_pem.c_str(), t.key_pem.c_str());
        s != NATS_OK)
      return Error{where + ".accessCertificate/accessKey: " + status_text(s)};  // never the key itself
  }
  return {};
}

std::string status_text(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return last != nullptr && *last != '\0' ? std::string(last) : std::string(natsStatus_GetText(s));
}

}  // namespace nimbus::engine::nats
