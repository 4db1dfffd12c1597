#pragma once
// The readers of a kind's `attributes`, shared by triggers and data bindings: each reads one
// attribute, gives the fallback when it is absent, and names it in its error
// ("spec.triggers.web.attributes.port: expected ...").

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/json.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// One trigger's or binding's `attributes`, and where they sit ("spec.dataBindings.out.attributes").
struct Attributes {
  const Json& json;
  std::string where;
};

/// A whole number within [`low`, `high`] (YAML may give it as text), or `fallback` when absent.
[[nodiscard]] Result<long long> integer_attribute(const Attributes& a, std::string_view key,
                                                  long long fallback, long long low, long long high) noexcept;
/// True or false (YAML may give it as text), or `fallback` when absent.
[[nodiscard]] Result<bool> boolean_attribute(const Attributes& a, std::string_view key,
                                             bool fallback) noexcept;
/// The same for `object[key]` (an attribute's own object, `where` naming it: "...attributes.tls").
[[nodiscard]] Result<bool> flag_in(const Json& object, const char* key, bool fallback,
                                   const std::string& where) noexcept;
/// Text (a number or a flag as written), or `fallback` when absent.
[[nodiscard]] Result<std::string> string_attribute(const Attributes& a, std::string_view key,
                                                   std::string fallback) noexcept;
/// A Go-style duration (`500ms`, `30s`, `1m30s`) longer than zero, or `fallback` when absent.
[[nodiscard]] Result<std::chrono::milliseconds> duration_attribute(
    const Attributes& a, std::string_view key, std::chrono::milliseconds fallback) noexcept;
/// A list of strings: a YAML list, or one string of comma-separated items
/// (`brokers: "a:9092,b:9092"`); empty when absent.
[[nodiscard]] Result<std::vector<std::string>> string_list_attribute(const Attributes& a,
                                                                     std::string_view key) noexcept;
/// A credential the attribute names, never holds: `{env: NAME}` or `{file: path}` (see
/// `secret_value`); empty when absent. Errors never contain the secret.
[[nodiscard]] Result<std::string> secret_attribute(const Attributes& a, std::string_view key) noexcept;

/// nuclio's TLS attributes of a broker connection: `tls: {enable, insecureSkipVerify}`,
/// `caCert` (PEM text or {file: path}; default: the system's CAs), `accessCertificate` (a
/// client certificate: PEM text or {file: path}) and `accessKey` (its key: a secret).
struct TlsAttributes {
  bool enable = false;
  bool verify = true;    // false: insecureSkipVerify
  std::string ca_pem;    // caCert as PEM text
  std::string ca_file;   // caCert as {file: path}
  std::string cert_pem;  // accessCertificate, read
  std::string key_pem;   // accessKey, read
};
[[nodiscard]] Result<TlsAttributes> tls_attributes(const Attributes& a) noexcept;

}  // namespace nimbus::engine
