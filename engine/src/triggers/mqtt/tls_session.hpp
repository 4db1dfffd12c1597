#pragma once
// TLS over the mqtt trigger's non-blocking socket (OpenSSL, Debian's): a
// client context made once from the trigger's TLS attributes, and a session
// per connection whose handshake, reads and writes never block, reporting
// "would block" as recv/send do (-1, errno EAGAIN).

#include <openssl/ssl.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "nimbus/engine/trigger.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine::mqtt {

class TlsContext {
 public:
  /// A client context: the CA from `caCert` (or the system's), peer
  /// verification unless `insecureSkipVerify`, the client certificate and key
  /// when given. Errors name the attribute.
  static Result<std::shared_ptr<TlsContext>> make(const TlsAttributes& tls, const std::string& where);
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();
  [[nodiscard]] SSL_CTX* get() const noexcept { return ctx_; }
  [[nodiscard]] bool verify() const noexcept { return verify_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  bool verify_ = true;
};

class TlsSession {
 public:
  /// A session on connected socket `fd`, for server `host` (its name or address is verified).
  static Result<std::unique_ptr<TlsSession>> start(const TlsContext& context, int fd,
                                                   const std::string& host);
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;
  ~TlsSession();

  enum class Step { kDone, kWant, kFailed };
  /// Advances the handshake; kWant: call again when the socket is ready.
  Step handshake();
  /// As recv/send: bytes moved; 0: closed by the peer (read); -1: errno EAGAIN, or failed (`error()`).
  ssize_t read(char* into, std::size_t size);
  ssize_t write(const char* from, std::size_t size);
  /// Why the last step failed (OpenSSL's reason, the verification result).
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// A close_notify, best effort.
  void shutdown() noexcept;

 private:
  TlsSession() = default;
  ssize_t failed(int rc);
  SSL* ssl_ = nullptr;
  std::string error_;
};

}  // namespace nimbus::engine::mqtt
