#pragma once
// What the kafka-cluster trigger and the kafka binding share: nuclio's broker list and
// security attributes, and a librdkafka configuration made from settings.

#include <string>
#include <utility>
#include <vector>

#include "nimbus/engine/attributes.hpp"
#include "nimbus/result.hpp"

struct rd_kafka_conf_s;

namespace nimbus::engine::kafka {

/// nuclio's `sasl` attributes, and the TLS ones (`tls`, `caCert`, `accessCertificate`, `accessKey`).
struct KafkaSecurity {
  bool sasl = false;
  std::string mechanism = "PLAIN";  // or SCRAM-SHA-256, SCRAM-SHA-512
  std::string user;
  std::string password;  // from {env: NAME} or {file: path}
  TlsAttributes tls;
};

/// nuclio's `sasl`, `tls`, `caCert`, `accessCertificate` and `accessKey`; the
/// password and the key only as {env: NAME} or {file: path}.
[[nodiscard]] Result<KafkaSecurity> security_attributes(const Attributes& a);

/// `brokers` (a list, or "a:9092,b:9092"; `url` when absent, as nuclio takes it), each
/// host:port, a kafka:// prefix dropped; credentials in them are refused.
[[nodiscard]] Result<std::vector<std::string>> brokers_attribute(const Attributes& a, const std::string& url);

using Settings = std::vector<std::pair<std::string, std::string>>;

/// librdkafka's settings for `security` (security.protocol, sasl.*, ssl.*).
[[nodiscard]] Settings security_settings(const KafkaSecurity& security);

/// A librdkafka configuration with `settings` set (an empty ssl.* or sasl.* value: not given);
/// the error names the setting librdkafka refused, after `who`.
[[nodiscard]] Result<rd_kafka_conf_s*> make_conf(const Settings& settings, const std::string& who);

}  // namespace nimbus::engine::kafka
