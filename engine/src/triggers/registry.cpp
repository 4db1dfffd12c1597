// The trigger registry, the behaviour every trigger shares, and the built-in kinds.
#include <charconv>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>

#include "cron/cron_trigger.hpp"
#include "file/file_trigger.hpp"
#include "http/http_trigger.hpp"
#include "kafka/kafka_trigger.hpp"
#include "mqtt/mqtt_trigger.hpp"
#include "nats/nats_trigger.hpp"
#include "nimbus/engine/trigger.hpp"
#include "nimbus/format/text.hpp"
#include "redis/redis_stream_trigger.hpp"

namespace nimbus::engine {

void TriggerStats::record(int status, std::chrono::nanoseconds latency) noexcept {
  if (status >= 100 && status < 600) ++by_status_[static_cast<std::size_t>(status - 100)];
  const double seconds = std::chrono::duration<double>(latency).count();
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++buckets_[b];
  latency_sum_ += seconds;
  ++count_;
}

void Trigger::submit(const Event& event, std::string_view origin, Submitter::Done done) noexcept {
  try {
    submitter_->submit(event, origin, std::move(done));  // moved all the way to the pool: no copy
  } catch (const std::exception& e) {
    try {
      if (done) done(Response::text(std::string("cannot hand the event to a worker: ") + e.what(), 500));
    } catch (...) {
    }
  } catch (...) {
  }
}

void Trigger::submit_in_lane(std::uint64_t lane, const Event& event, std::string_view origin,
                             Submitter::Done done) noexcept {
  try {
    submitter_->submit_in_lane(lane, event, origin, std::move(done));
  } catch (const std::exception& e) {
    try {
      if (done) done(Response::text(std::string("cannot hand the event to a worker: ") + e.what(), 500));
    } catch (...) {
    }
  } catch (...) {
  }
}

void Trigger::reject(std::string_view origin, std::string_view why) noexcept {
  try {
    submitter_->reject(origin, why);
  } catch (...) {  // the report is lost, not the loop
  }
}

void Trigger::notice(std::string_view message, bool warning) noexcept {
  try {
    if (submitter_ != nullptr) submitter_->notice(message, warning);
  } catch (...) {  // the notice is lost, not the loop
  }
}

Result<long long> integer_attribute(const TriggerSpec& spec, std::string_view key, long long fallback,
                                    long long low, long long high) noexcept {
  try {
    auto it = spec.attributes.find(std::string(key));
    if (it == spec.attributes.end() || it->is_null()) return fallback;
    long long v = 0;
    bool ok = false;
    if (it->is_number_integer()) {
      v = it->get<long long>();
      ok = true;
    } else if (it->is_string()) {
      const auto& text = it->get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      ok = ec == std::errc() && end == text.data() + text.size() && !text.empty();
    }
    if (!ok || v < low || v > high) {
      return Error{"spec.triggers." + spec.name + ".attributes." + std::string(key) +
                   ": expected a whole number from " + std::to_string(low) + " to " + std::to_string(high) +
                   ", got " + (it->is_string() ? "'" + it->get<std::string>() + "'" : it->dump())};
    }
    return v;
  } catch (const std::exception& e) {
    return Error{"spec.triggers." + spec.name + ".attributes." + std::string(key) + ": " + e.what()};
  }
}

Result<bool> flag_in(const Json& object, const char* key, bool fallback, const std::string& where) noexcept {
  try {
    if (!object.contains(key) || object[key].is_null()) return fallback;
    const Json& v = object[key];
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_string() && (v == "true" || v == "false")) return v == "true";
    return Error{where + "." + key + ": expected true or false, got " + v.dump()};
  } catch (const std::exception& e) {
    return Error{where + "." + key + ": " + e.what()};
  }
}

Result<bool> boolean_attribute(const TriggerSpec& spec, std::string_view key, bool fallback) noexcept {
  try {
    return flag_in(spec.attributes, std::string(key).c_str(), fallback,
                   "spec.triggers." + spec.name + ".attributes");
  } catch (const std::exception& e) {
    return Error{"spec.triggers." + spec.name + ".attributes." + std::string(key) + ": " + e.what()};
  }
}

Result<int> max_in_flight_attribute(const TriggerSpec& spec) noexcept {
  auto n = integer_attribute(spec, "maxInFlight", 64LL * std::max(spec.num_workers, 1), 1, 100000);
  if (!n) return n.error();
  return static_cast<int>(*n);
}

Result<std::size_t> max_body_attribute(const TriggerSpec& spec) noexcept {
  auto n = integer_attribute(spec, "maxBodySize", 1 << 20, 0, 256 << 20);
  if (!n) return n.error();
  return static_cast<std::size_t>(*n);
}

Result<std::string> string_attribute(const TriggerSpec& spec, std::string_view key,
                                     std::string fallback) noexcept {
  try {
    auto it = spec.attributes.find(std::string(key));
    if (it == spec.attributes.end() || it->is_null()) return fallback;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number() || it->is_boolean()) return it->dump();
    return Error{"spec.triggers." + spec.name + ".attributes." + std::string(key) +
                 ": expected a string, got " + it->type_name()};
  } catch (const std::exception& e) {
    return Error{"spec.triggers." + spec.name + ".attributes." + std::string(key) + ": " + e.what()};
  }
}

Result<std::vector<std::string>> string_list_attribute(const TriggerSpec& spec,
                                                       std::string_view key) noexcept {
  const std::string where = "spec.triggers." + spec.name + ".attributes." + std::string(key);
  try {
    std::vector<std::string> out;
    auto it = spec.attributes.find(std::string(key));
    if (it == spec.attributes.end() || it->is_null()) return out;
    if (it->is_string()) {
      std::string_view rest = it->get_ref<const std::string&>();
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = format::trim(rest.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      return out;
    }
    if (!it->is_array()) return Error{where + ": expected a list of strings, got " + it->type_name()};
    for (const auto& item : *it) {
      if (!item.is_string()) return Error{where + ": expected strings, got " + std::string(item.type_name())};
      out.push_back(item.get<std::string>());
    }
    return out;
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

Result<ExplicitAck> explicit_ack_attribute(const TriggerSpec& spec) noexcept {
  auto mode = string_attribute(spec, "explicitAckMode", "disable");
  if (!mode) return mode.error();
  if (*mode == "disable") return ExplicitAck::kDisable;
  if (*mode == "enable") return ExplicitAck::kEnable;
  if (*mode == "explicitOnly") return ExplicitAck::kExplicitOnly;
  return Error{"spec.triggers." + spec.name +
               ".attributes.explicitAckMode: expected enable, disable or "
               "explicitOnly, got '" +
               *mode + "'"};
}

bool acknowledges(ExplicitAck mode, const Response& response) noexcept {
  if (response.status() >= 500 || mode == ExplicitAck::kExplicitOnly) return false;
  return mode == ExplicitAck::kDisable || !response.header("X-Nuclio-Stream-No-Ack");
}

Result<std::string> secret_attribute(const TriggerSpec& spec, std::string_view key) noexcept {
  const std::string where = "spec.triggers." + spec.name + ".attributes." + std::string(key);
  try {
    auto it = spec.attributes.find(std::string(key));
    if (it == spec.attributes.end()) return std::string();
    return secret_value(*it, where);
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

namespace {

// A certificate: PEM text, or {file: path} read now.
Result<std::string> certificate(const Json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.size() == 1 && value.contains("file") && value["file"].is_string()) {
    std::ifstream in(value["file"].get<std::string>(), std::ios::binary);
    if (!in) return Error{where + ": cannot read " + value["file"].get<std::string>()};
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return Error{where + ": expected PEM text or {file: path}"};
}

}  // namespace

Result<TlsAttributes> tls_attributes(const TriggerSpec& spec) noexcept {
  const std::string where = "spec.triggers." + spec.name + ".attributes";
  try {
    TlsAttributes t;
    const Json& a = spec.attributes;
    if (a.contains("tls") && !a["tls"].is_null()) {
      const Json& tls = a["tls"];
      if (!tls.is_object()) return Error{where + ".tls: expected {enable, insecureSkipVerify}"};
      auto enable = flag_in(tls, "enable", true, where + ".tls");
      if (!enable) return enable.error();
      auto skip = flag_in(tls, "insecureSkipVerify", false, where + ".tls");
      if (!skip) return skip.error();
      t.enable = *enable;
      t.verify = !*skip;
    }
    if (a.contains("caCert") && !a["caCert"].is_null()) {
      const Json& ca = a["caCert"];
      if (ca.is_object() && ca.contains("file") && ca["file"].is_string()) {
        t.ca_file = ca["file"].get<std::string>();
      } else {
        auto pem = certificate(ca, where + ".caCert");
        if (!pem) return pem.error();
        t.ca_pem = std::move(*pem);
      }
    }
    if (a.contains("accessCertificate") && !a["accessCertificate"].is_null()) {
      auto pem = certificate(a["accessCertificate"], where + ".accessCertificate");
      if (!pem) return pem.error();
      t.cert_pem = std::move(*pem);
    }
    auto key = secret_attribute(spec, "accessKey");
    if (!key) return key.error();
    t.key_pem = std::move(*key);
    return t;
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

Result<std::unique_ptr<Trigger>> TriggerRegistry::make(const TriggerSpec& spec,
                                                       const TriggerEnvironment& environment) const noexcept {
  const std::string where = "spec.triggers." + spec.name;
  try {
    const Factory* factory = find(spec.kind);
    if (factory == nullptr)
      return Error{where + ".kind: unknown trigger kind '" + spec.kind + "' (known: " + known() + ")"};
    return (*factory)(spec, environment);
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

void register_builtin_triggers(TriggerRegistry& registry) {
  registry.add("http", http::make_http_trigger);
  registry.add("file", make_file_trigger);
  registry.add("cron", cron::make_cron_trigger);
  registry.add("kafka-cluster", kafka::make_kafka_trigger);
  registry.add("mqtt", mqtt::make_mqtt_trigger);
  registry.add("nats", nats::make_nats_trigger);
  registry.add("redis-stream", redis::make_redis_stream_trigger);
}

}  // namespace nimbus::engine
