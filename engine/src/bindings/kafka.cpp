// `kafka`: the publish interface on a Kafka cluster (librdkafka's producer). One producer per
// worker, made before the worker says it is ready (which also asks the brokers for their
// metadata, so an unreachable cluster is an error at the start), shared by its threads. A
// publish waits for its delivery report: it returns once the brokers acknowledged the
// message (acks=all unless `attributes.acks` says otherwise), and a message that could not
// be delivered within `deliveryTimeoutMs` is an error for the call.
#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "../clients/kafka_client.hpp"
#include "kinds.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine::bindings {
namespace {

// One publish's delivery report, filled on whichever thread's poll served it.
struct Delivery {
  std::atomic<bool> done{false};
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void delivered(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* /*opaque*/) {
  auto* d = static_cast<Delivery*>(message->_private);
  d->error = message->err;
  d->done.store(true, std::memory_order_release);
}

class KafkaPublisher final : public Publisher {
 public:
  KafkaPublisher(std::string name, std::string brokers)
      : name_(std::move(name)), brokers_(std::move(brokers)) {}
  ~KafkaPublisher() override {
    if (producer_ != nullptr) {
      rd_kafka_flush(producer_, 5000);
      rd_kafka_destroy(producer_);
    }
  }
  KafkaPublisher(const KafkaPublisher&) = delete;
  KafkaPublisher& operator=(const KafkaPublisher&) = delete;

  // Makes the producer from `conf` (taken) and reaches the brokers.
  Result<void> open(rd_kafka_conf_t* conf, int timeout_ms) {
    std::array<char, 512> why{};
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why.data(), why.size());
    if (producer_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Error{where() + ": " + why.data()};
    }
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(producer_, 0, nullptr, &metadata, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Error{where() + ": cannot reach the brokers: " + rd_kafka_err2str(err)};
    rd_kafka_metadata_destroy(metadata);
    return {};
  }

 protected:
  void do_publish(std::string_view topic, std::string_view payload, const MessageHeaders& headers) override {
    rd_kafka_headers_t* h = rd_kafka_headers_new(headers.size());
    for (const auto& [key, value] : headers)
      rd_kafka_header_add(h, key.data(), static_cast<ssize_t>(key.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    Delivery delivery;
    const std::string t(topic);
    std::array<rd_kafka_vu_t, 5> vu{};
    vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[0].u.cstr = t.c_str();
    vu[1].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[1].u.mem.ptr =
        const_cast<char*>(payload.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast): copied
    vu[1].u.mem.size = payload.size();
    vu[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[2].u.i = RD_KAFKA_MSG_F_COPY;
    vu[3].vtype = RD_KAFKA_VTYPE_HEADERS;
    vu[3].u.headers = h;
    vu[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[4].u.ptr = &delivery;
    if (rd_kafka_error_t* error = rd_kafka_produceva(producer_, vu.data(), vu.size()); error != nullptr) {
      const rd_kafka_resp_err_t err = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
      rd_kafka_headers_destroy(h);  // not taken
      fail(topic, err);
    }
    // The report comes from a poll on this thread or another publishing one; message.timeout.ms bounds it.
    while (!delivery.done.load(std::memory_order_acquire)) rd_kafka_poll(producer_, 10);
    if (delivery.error != RD_KAFKA_RESP_ERR_NO_ERROR) fail(topic, delivery.error);
  }

 private:
  [[nodiscard]] std::string where() const { return "binding '" + name_ + "' (kafka, " + brokers_ + ")"; }
  [[noreturn]] void fail(std::string_view topic, rd_kafka_resp_err_t err) const {
    throw BindingError(where() + ": publish to '" + std::string(topic) + "': " + rd_kafka_err2str(err));
  }

  std::string name_;
  std::string brokers_;
  rd_kafka_t* producer_ = nullptr;  // librdkafka's producer is safe to share between threads
};

}  // namespace

Result<std::shared_ptr<Binding>> make_kafka(const BindingSpec& spec) {
  const Attributes attributes = attributes_of(spec);
  auto brokers = kafka::brokers_attribute(attributes, spec.url);
  if (!brokers) return brokers.error();
  auto security = kafka::security_attributes(attributes);
  if (!security) return security.error();
  auto secret = secret_value(spec.secret, spec.origin + ": spec.dataBindings." + spec.name + ".secret");
  if (!secret) return secret.error();
  if (!secret->empty()) security->password = std::move(*secret);
  auto acks = string_attribute(attributes, "acks", "all");
  if (!acks) return acks.error();
  if (*acks != "all" && *acks != "-1" && *acks != "0" && *acks != "1")
    return Error{attributes.where + ".acks: expected all, 1 or 0, got '" + *acks + "'"};
  auto timeout = integer_attribute(attributes, "deliveryTimeoutMs", 10'000, 1, 3'600'000);
  if (!timeout) return timeout.error();
  const std::string list = format::join(*brokers, ",");
  kafka::Settings settings = {
      {"bootstrap.servers", list},
      {"client.id", "nimbus-binding-" + spec.name},
      {"acks", *acks},
      {"message.timeout.ms", std::to_string(*timeout)},
      {"linger.ms", "1"},  // a handler waits for its message: batch only what arrives together
  };
  const kafka::Settings secure = kafka::security_settings(*security);
  settings.insert(settings.end(), secure.begin(), secure.end());
  auto publisher = std::make_shared<KafkaPublisher>(spec.name, list);
  auto conf = kafka::make_conf(settings, spec.origin + ": binding '" + spec.name + "' (kafka)");
  if (!conf) return conf.error();
  if (auto ok = publisher->open(*conf, static_cast<int>(std::min<long long>(*timeout, 10'000))); !ok)
    return Error{spec.origin + ": " + ok.error().message};
  return std::shared_ptr<Binding>(std::move(publisher));
}

}  // namespace nimbus::engine::bindings
