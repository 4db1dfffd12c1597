// What the kafka-cluster trigger and the kafka binding share.
#include "kafka_client.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "nimbus/engine/function_config.hpp"

namespace nimbus::engine::kafka {

Result<KafkaSecurity> security_attributes(const Attributes& attributes) {
  const std::string& where = attributes.where;
  KafkaSecurity k;
  const Json& a = attributes.json;
  if (a.contains("sasl") && !a["sasl"].is_null()) {
    const Json& sasl = a["sasl"];
    if (!sasl.is_object()) return Error{where + ".sasl: expected {enable, user, password, mechanism}"};
    auto enable = flag_in(sasl, "enable", true, where + ".sasl");
    if (!enable) return enable.error();
    k.sasl = *enable;
    if (sasl.contains("user") && !sasl["user"].is_string()) return Error{where + ".sasl.user: expected text"};
    k.user = sasl.value("user", "");
    if (sasl.contains("password")) {
      auto password = secret_value(sasl["password"], where + ".sasl.password");
      if (!password) return password.error();
      k.password = std::move(*password);
    }
    std::string mechanism = sasl.contains("mechanism") && sasl["mechanism"].is_string()
                                ? sasl["mechanism"].get<std::string>()
                                : std::string("PLAIN");
    std::transform(mechanism.begin(), mechanism.end(), mechanism.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (mechanism != "PLAIN" && mechanism != "SCRAM-SHA-256" && mechanism != "SCRAM-SHA-512")
      return Error{where + ".sasl.mechanism: expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got " +
                   sasl["mechanism"].dump()};
    k.mechanism = mechanism;
    if (k.sasl && k.user.empty()) return Error{where + ".sasl.user: missing"};
  }
  auto tls = tls_attributes(attributes);
  if (!tls) return tls.error();
  k.tls = std::move(*tls);
  return k;
}

Result<std::vector<std::string>> brokers_attribute(const Attributes& a, const std::string& url) {
  auto brokers = string_list_attribute(a, "brokers");
  if (!brokers) return brokers.error();
  if (brokers->empty() && !url.empty()) brokers->push_back(url);  // nuclio also takes `url: host:port`
  if (brokers->empty()) return Error{a.where + ".brokers: missing (the brokers' host:port list)"};
  for (auto& b : *brokers) {
    if (b.find('@') != std::string::npos)
      return Error{a.where + ".brokers: credentials never go in function.yaml ('" +
                   b.substr(b.find('@') + 1) + "')"};
    if (b.rfind("kafka://", 0) == 0) b.erase(0, 8);
    if (b.find(':') == std::string::npos)
      return Error{a.where + ".brokers: expected host:port, got '" + b + "'"};
  }
  return brokers;
}

Settings security_settings(const KafkaSecurity& s) {
  return {
      {"security.protocol",
       s.sasl ? (s.tls.enable ? "sasl_ssl" : "sasl_plaintext") : (s.tls.enable ? "ssl" : "plaintext")},
      {"sasl.mechanisms", s.mechanism},
      {"sasl.username", s.user},
      {"sasl.password", s.password},
      {"enable.ssl.certificate.verification", s.tls.verify ? "true" : "false"},
      {"ssl.ca.pem", s.tls.ca_pem},
      {"ssl.ca.location", s.tls.ca_file},
      {"ssl.certificate.pem", s.tls.cert_pem},
      {"ssl.key.pem", s.tls.key_pem},
  };
}

Result<rd_kafka_conf_t*> make_conf(const Settings& settings, const std::string& who) {
  std::array<char, 512> why{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : settings) {
    if (value.empty() && (key.rfind("ssl.", 0) == 0 || key.rfind("sasl.", 0) == 0)) continue;  // not given
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), why.data(), why.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error{who + ": " + key + ": " + why.data()};
    }
  }
  return conf;
}

}  // namespace nimbus::engine::kafka
