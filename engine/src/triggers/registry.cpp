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
