#include "tls_session.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <cerrno>

namespace nimbus::engine::mqtt {
namespace {

std::string openssl_error() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {  // NOLINT(google-runtime-int): OpenSSL's type
    std::array<char, 256> buffer{};
    ERR_error_string_n(e, buffer.data(), buffer.size());
    if (!text.empty()) text += "; ";
    text += buffer.data();
  }
  return text.empty() ? std::string("unknown TLS error") : text;
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

Bio memory(const std::string& pem) {
  return {BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free};
}

}  // namespace

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<TlsContext>> TlsContext::make(const TlsAttributes& tls, const std::string& where) {
  std::shared_ptr<TlsContext> c(new TlsContext());
  c->ctx_ = SSL_CTX_new(TLS_client_method());
  if (c->ctx_ == nullptr) return Error{where + ".tls: " + openssl_error()};
  SSL_CTX_set_min_proto_version(c->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(c->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  c->verify_ = tls.verify;
  SSL_CTX_set_verify(c->ctx_, tls.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c->ctx_, tls.ca_file.c_str(), nullptr) != 1)
      return Error{where + ".caCert: " + tls.ca_file + ": " + openssl_error()};
  } else if (!tls.ca_pem.empty()) {
    Bio bio = memory(tls.ca_pem);
    X509_STORE* store = SSL_CTX_get_cert_store(c->ctx_);
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      added += X509_STORE_add_cert(store, cert);
      X509_free(cert);
    }
    ERR_clear_error();  // the end of the PEM text reads as an error
    if (added == 0) return Error{where + ".caCert: no certificate in the PEM text"};
  } else if (SSL_CTX_set_default_verify_paths(c->ctx_) != 1) {
    return Error{where + ".tls: the system's CAs: " + openssl_error()};
  }
  if (!tls.cert_pem.empty() || !tls.key_pem.empty()) {
    Bio cert_bio = memory(tls.cert_pem);
    X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr || SSL_CTX_use_certificate(c->ctx_, cert) != 1) {
      X509_free(cert);
      return Error{where + ".accessCertificate: " + openssl_error()};
    }
    X509_free(cert);
    Bio key_bio = memory(tls.key_pem);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr || SSL_CTX_use_PrivateKey(c->ctx_, key) != 1) {
      EVP_PKEY_free(key);
      ERR_clear_error();  // its text could quote the key
      return Error{where + ".accessKey: not a private key for accessCertificate"};
    }
    EVP_PKEY_free(key);
  }
  return c;
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

Result<std::unique_ptr<TlsSession>> TlsSession::start(const TlsContext& context, int fd,
                                                      const std::string& host) {
  std::unique_ptr<TlsSession> s(new TlsSession());
  s->ssl_ = SSL_new(context.get());
  if (s->ssl_ == nullptr || SSL_set_fd(s->ssl_, fd) != 1) return Error{openssl_error()};
  in6_addr address{};
  const bool numeric =
      inet_pton(AF_INET, host.c_str(), &address) == 1 || inet_pton(AF_INET6, host.c_str(), &address) == 1;
  if (!numeric) {  // SNI takes names only (SSL_set_tlsext_host_name, without the macro's C cast)
    SSL_ctrl(s->ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             static_cast<void*>(
                 const_cast<char*>(host.c_str())));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  if (context.verify()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(s->ssl_);
    const int ok =
        numeric ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) : SSL_set1_host(s->ssl_, host.c_str());
    if (ok != 1) return Error{"verifying " + host + ": " + openssl_error()};
  }
  SSL_set_connect_state(s->ssl_);
  return s;
}

TlsSession::Step TlsSession::handshake() {
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return Step::kDone;
  const int e = SSL_get_error(ssl_, rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Step::kWant;
  const long verified = SSL_get_verify_result(ssl_);  // NOLINT(google-runtime-int): OpenSSL's type
  error_ = "TLS handshake failed: " + openssl_error();
  if (verified != X509_V_OK) error_ += std::string(" (") + X509_verify_cert_error_string(verified) + ")";
  return Step::kFailed;
}

ssize_t TlsSession::failed(int rc) {
  const int e = SSL_get_error(ssl_, rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  if (e == SSL_ERROR_ZERO_RETURN) return 0;
  if (e == SSL_ERROR_SYSCALL && errno == 0) return 0;  // the peer closed without close_notify
  error_ = openssl_error();
  errno = EPROTO;
  return -1;
}

ssize_t TlsSession::read(char* into, std::size_t size) {
  std::size_t n = 0;
  const int rc = SSL_read_ex(ssl_, into, size, &n);
  return rc == 1 ? static_cast<ssize_t>(n) : failed(rc);
}

ssize_t TlsSession::write(const char* from, std::size_t size) {
  std::size_t n = 0;
  const int rc = SSL_write_ex(ssl_, from, size, &n);
  return rc == 1 ? static_cast<ssize_t>(n) : failed(rc);
}

void TlsSession::shutdown() noexcept {
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace nimbus::engine::mqtt
