#include "mqtt_trigger.hpp"

#include <mqtt_protocol.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine::mqtt {
namespace {

MqttTrigger* of(void* closure) { return static_cast<MqttTrigger*>(closure); }

// libmosquitto's callbacks, on its thread.
void connect_cb(mosquitto* /*client*/, void* closure, int reason, int /*flags*/,
                const mosquitto_property* /*p*/) {
  of(closure)->on_connect(reason);
}
void disconnect_cb(mosquitto* /*client*/, void* closure, int reason, const mosquitto_property* /*p*/) {
  of(closure)->on_disconnect(reason);
}
void subscribe_cb(mosquitto* /*client*/, void* closure, int /*mid*/, int count, const int* granted) {
  of(closure)->on_subscribe(count, granted);
}
void message_cb(mosquitto* /*client*/, void* closure, const mosquitto_message* message,
                const mosquitto_property* properties) {
  of(closure)->on_message(message, properties);
}

// Frees what libmosquitto's property readers allocate.
struct Freed {
  char* text = nullptr;
  ~Freed() { free(text); }  // NOLINT(cppcoreguidelines-no-malloc): libmosquitto allocates with malloc
  Freed() = default;
  Freed(const Freed&) = delete;
  Freed& operator=(const Freed&) = delete;
};

}  // namespace

MqttTrigger::MqttTrigger(TriggerSpec spec, MqttOptions options)
    : Trigger(std::move(spec)), o_(std::move(options)) {
  mailbox_ = std::make_unique<Mailbox<Item>>(static_cast<std::size_t>(o_.max_in_flight), [this] { pump(); });
}

MqttTrigger::~MqttTrigger() {
  mailbox_->close();  // libmosquitto's thread, if it waits for room, goes on (and drops)
  if (client_ != nullptr) {
    mosquitto_disconnect(client_);
    if (thread_started_) mosquitto_loop_stop(client_, false);
    mosquitto_destroy(client_);
  }
}

void MqttTrigger::post_news(std::string news, bool warning) {
  Item item;
  item.news = "mqtt trigger '" + spec().name + "': " + o_.url + ": " + std::move(news);
  item.warning = warning;
  mailbox_->post(std::move(item));
}

Result<void> MqttTrigger::open(EventLoop& loop) noexcept {
  const std::string name = "mqtt trigger '" + spec().name + "'";
  try {
    if (auto ok = mailbox_->open(loop); !ok) return Error{name + ": " + ok.error().message};
    static std::once_flag initialized;
    std::call_once(initialized, [] { mosquitto_lib_init(); });
    client_ = mosquitto_new(o_.client_id.c_str(), o_.clean_session, this);
    if (client_ == nullptr)
      return Error{name + ": cannot make an MQTT client (" + std::strerror(errno) + ")"};
    mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(client_, connect_cb);
    mosquitto_disconnect_v5_callback_set(client_, disconnect_cb);
    mosquitto_subscribe_callback_set(client_, subscribe_cb);
    mosquitto_message_v5_callback_set(client_, message_cb);
    mosquitto_reconnect_delay_set(client_, 1, 30, true);
    if (!o_.username.empty()) mosquitto_username_pw_set(client_, o_.username.c_str(), o_.password.c_str());
    if (auto ok = connect(); !ok) return Error{name + ": " + o_.url + ": " + ok.error().message};
    return {};
  } catch (const std::exception& e) {
    return Error{name + ": " + e.what()};
  }
}

Result<void> MqttTrigger::connect() {
  const int rc = mosquitto_connect_async(client_, o_.host.c_str(), o_.port, o_.keep_alive);
  if (rc == MOSQ_ERR_ERRNO) {
    // Refused at once (nothing listens): libmosquitto's thread would not retry a first connection
    // that never began, so the loop does, with backoff; once connected, the thread reconnects.
    if (!said_down_.exchange(true))
      post_news(
          std::string("cannot connect yet (") + std::strerror(errno) + "); retrying, 1 s doubling to 30 s",
          true);
    retry_at_ = std::chrono::steady_clock::now() + backoff_;
    backoff_ = std::min<std::chrono::seconds>(backoff_ * 2, std::chrono::seconds(30));
    return {};
  }
  if (rc != MOSQ_ERR_SUCCESS) return Error{mosquitto_strerror(rc)};
  if (const int started = mosquitto_loop_start(client_); started != MOSQ_ERR_SUCCESS)
    return Error{mosquitto_strerror(started)};
  thread_started_ = true;
  return {};
}

void MqttTrigger::tick(std::chrono::steady_clock::time_point now) {
  if (thread_started_ || draining_ || client_ == nullptr || now < retry_at_) return;
  if (auto ok = connect(); !ok) {
    notice("mqtt trigger '" + spec().name + "': " + o_.url + ": " + ok.error().message);
    retry_at_ = now + backoff_;
  }
}

void MqttTrigger::on_connect(int reason) {
  if (reason != 0) {  // each reconnection is refused the same way: said once
    if (!said_down_.exchange(true))
      post_news(std::string("refused: ") + mosquitto_reason_string(reason), true);
    return;
  }
  connected_.store(true);
  if (said_down_.exchange(false)) post_news("connected", false);
  if (started_.load()) subscribe();
}

void MqttTrigger::on_disconnect(int reason) {
  connected_.store(false);
  subscribed_.store(false);
  if (reason != 0 && !said_down_.exchange(true)) post_news("disconnected; reconnecting", true);
}

void MqttTrigger::subscribe() {
  std::vector<char*> topics;
  for (auto& s : o_.subscriptions) topics.push_back(s.topic.data());
  // One SUBSCRIBE per QoS level in use (mosquitto_subscribe_multiple takes one QoS).
  for (int qos = 0; qos <= 2; ++qos) {
    std::vector<char*> at;
    for (std::size_t i = 0; i < topics.size(); ++i)
      if (o_.subscriptions[i].qos == qos) at.push_back(topics[i]);
    if (at.empty()) continue;
    const int rc = mosquitto_subscribe_multiple(client_, nullptr, static_cast<int>(at.size()), at.data(), qos,
                                                0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) post_news(std::string("subscribing: ") + mosquitto_strerror(rc), true);
  }
}

void MqttTrigger::on_subscribe(int granted_count, const int* granted) {
  for (int i = 0; i < granted_count; ++i) {
    if (granted[i] >= 0x80) {
      post_news(
          "the broker refused a subscription (" + std::string(mosquitto_reason_string(granted[i])) + ")",
          true);
      return;
    }
  }
  {
    std::lock_guard lock(subscribed_mutex_);
    subscribed_.store(true);
  }
  subscribed_changed_.notify_all();
}

void MqttTrigger::on_message(const mosquitto_message* message, const mosquitto_property* properties) {
  Item item;
  item.is_message = true;
  item.topic = message->topic != nullptr ? message->topic : "";
  if (message->payload != nullptr && message->payloadlen > 0)
    item.payload.assign(static_cast<const char*>(message->payload),
                        static_cast<std::size_t>(message->payloadlen));
  for (const mosquitto_property* p = properties; p != nullptr; p = mosquitto_property_next(p)) {
    const int id = mosquitto_property_identifier(p);
    if (id == MQTT_PROP_USER_PROPERTY) {
      Freed key;
      Freed value;
      if (mosquitto_property_read_string_pair(p, id, &key.text, &value.text, false) != nullptr)
        item.headers.emplace_back(key.text, value.text != nullptr ? value.text : "");
    } else if (id == MQTT_PROP_CONTENT_TYPE || id == MQTT_PROP_RESPONSE_TOPIC) {
      Freed value;
      if (mosquitto_property_read_string(p, id, &value.text, false) != nullptr && value.text != nullptr)
        (id == MQTT_PROP_CONTENT_TYPE ? item.content_type : item.response_topic) = value.text;
    } else if (id == MQTT_PROP_CORRELATION_DATA) {
      void* data = nullptr;
      std::uint16_t length = 0;
      if (mosquitto_property_read_binary(p, id, &data, &length, false) != nullptr && data != nullptr) {
        item.correlation.assign(static_cast<const char*>(data), length);
        free(data);  // NOLINT(cppcoreguidelines-no-malloc): libmosquitto allocates with malloc
      }
    }
  }
  mailbox_->post(std::move(item));  // waits while the box is full: the socket and the broker hold the flood
}

void MqttTrigger::on_start() {
  // Subscribing once the workers are up, and waiting (briefly) for the broker's SUBACK, so
  // that a message published after the ready line is ours.
  started_.store(true);
  if (connected_.load()) {
    subscribe();
    std::unique_lock lock(subscribed_mutex_);
    subscribed_changed_.wait_for(lock, std::chrono::seconds(5), [&] { return subscribed_.load(); });
  }
  pump();
}

void MqttTrigger::pump() {
  if (!started()) return;
  const int room = draining_ ? 1 << 20 : o_.max_in_flight - in_flight_;
  if (room <= 0) return;
  for (auto& item : mailbox_->take(static_cast<std::size_t>(room))) {
    if (!item.is_message) {
      notice(item.news, item.warning);
    } else if (!draining_) {
      handle(item);
    }  // else it arrived after the stop: dropped (at most once)
  }
}

void MqttTrigger::handle(Item& item) {
  if (item.payload.size() > o_.max_body_bytes) {
    notice("mqtt trigger '" + spec().name + "': a message on " + item.topic + " of " +
           std::to_string(item.payload.size()) + " bytes is over the " + std::to_string(o_.max_body_bytes) +
           "-byte limit: dropped");
    return;
  }
  detail::EventData d;
  d.id = ids_.next();
  d.trigger_kind = "mqtt";
  d.trigger_name = spec().name;
  d.topic = item.topic;
  d.path = item.topic;
  d.has_stream = true;
  d.timestamp = std::chrono::system_clock::now();
  d.body = std::move(item.payload);
  d.headers = std::move(item.headers);
  d.content_type = std::move(item.content_type);
  const detail::EventBuffer event(d);
  ++in_flight_;
  const auto taken = std::chrono::steady_clock::now();
  submit(event, d.topic,
         [this, reply_to = std::move(item.response_topic), correlation = std::move(item.correlation),
          taken](const Response& r) {
           --in_flight_;
           stats().record(r.status(), std::chrono::steady_clock::now() - taken);
           if (reply_to.empty() || client_ == nullptr) return;
           // MQTT 5 request/response: the handler's body to the response topic, with the correlation data.
           mosquitto_property* props = nullptr;
           if (!correlation.empty()) {
             mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, correlation.data(),
                                           static_cast<std::uint16_t>(correlation.size()));
           }
           mosquitto_publish_v5(client_, nullptr, reply_to.c_str(), static_cast<int>(r.body().size()),
                                r.body().data(), 1, false, props);
           mosquitto_property_free_all(&props);
         });
}

void MqttTrigger::drain() {
  draining_ = true;
  if (client_ != nullptr) {
    std::vector<char*> topics;
    for (auto& s : o_.subscriptions) topics.push_back(s.topic.data());
    mosquitto_unsubscribe_multiple(client_, nullptr, static_cast<int>(topics.size()), topics.data(), nullptr);
  }
  pump();  // what was queued is dropped now
}

Json MqttTrigger::describe() const {
  Json subscriptions = Json::array();
  for (const auto& s : o_.subscriptions) subscriptions.push_back(Json{{"topic", s.topic}, {"qos", s.qos}});
  return Json{{"url", o_.url}, {"clientID", o_.client_id}, {"subscriptions", std::move(subscriptions)}};
}

Result<std::unique_ptr<Trigger>> make_mqtt_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& /*environment*/) {
  const std::string where = "spec.triggers." + spec.name;
  MqttOptions o;
  o.url = spec.url.empty() ? "tcp://127.0.0.1:1883" : spec.url;
  std::string_view rest = o.url;
  for (std::string_view scheme : {"tcp://", "mqtt://"}) {
    if (rest.rfind(scheme, 0) == 0) rest.remove_prefix(scheme.size());
  }
  if (rest.size() == o.url.size())
    return Error{where + ".url: expected tcp://host:port, got '" + o.url + "'"};
  if (rest.find('@') != std::string_view::npos) {
    return Error{where +
                 ".url: credentials never go in function.yaml: name them in attributes.username/password "
                 "as {env: NAME} or {file: path}"};
  }
  const auto colon = rest.rfind(':');
  o.host = std::string(rest.substr(0, colon));
  if (colon != std::string_view::npos) {
    const std::string_view port = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
    if (ec != std::errc() || end != port.data() + port.size() || o.port < 1 || o.port > 65535)
      return Error{where + ".url: '" + std::string(port) + "' is not a port"};
  }
  if (o.host.empty()) return Error{where + ".url: no host in '" + o.url + "'"};
  auto subscriptions = spec.attributes.find("subscriptions");
  if (subscriptions == spec.attributes.end() || !subscriptions->is_array() || subscriptions->empty())
    return Error{where + ".attributes.subscriptions: missing (a list of {topic, qos})"};
  for (const auto& s : *subscriptions) {
    Subscription sub;
    if (s.is_string()) {
      sub.topic = s.get<std::string>();
    } else if (s.is_object() && s.contains("topic") && s["topic"].is_string()) {
      sub.topic = s["topic"].get<std::string>();
      if (s.contains("qos")) {
        const auto& q = s["qos"];
        const std::string text = q.is_string() ? q.get<std::string>() : q.dump();
        if (text != "0" && text != "1" && text != "2")
          return Error{where + ".attributes.subscriptions: qos of " + sub.topic +
                       ": expected 0, 1 or 2, got " + text};
        sub.qos = text[0] - '0';
      }
    } else {
      return Error{where + ".attributes.subscriptions: expected {topic, qos} items, got " + s.dump()};
    }
    if (sub.topic.empty()) return Error{where + ".attributes.subscriptions: an empty topic"};
    o.subscriptions.push_back(std::move(sub));
  }
  auto client_id = string_attribute(spec, "clientID", "nimbus-" + spec.name + "-" + std::to_string(getpid()));
  if (!client_id) return client_id.error();
  o.client_id = *client_id;
  auto clean = spec.attributes.find("cleanSession");
  if (clean != spec.attributes.end() && !clean->is_null()) {
    if (!clean->is_boolean()) return Error{where + ".attributes.cleanSession: expected true or false"};
    o.clean_session = clean->get<bool>();
  }
  auto keep_alive = integer_attribute(spec, "keepAlive", 30, 5, 65535);
  if (!keep_alive) return keep_alive.error();
  o.keep_alive = static_cast<int>(*keep_alive);
  auto in_flight = max_in_flight_attribute(spec);
  if (!in_flight) return in_flight.error();
  o.max_in_flight = *in_flight;
  auto max_body = max_body_attribute(spec);
  if (!max_body) return max_body.error();
  o.max_body_bytes = *max_body;
  for (auto [key, into] : {std::pair{"username", &o.username}, std::pair{"password", &o.password}}) {
    auto secret = secret_attribute(spec, key);
    if (!secret) return secret.error();
    *into = *secret;
  }
  return std::unique_ptr<Trigger>(std::make_unique<MqttTrigger>(spec, std::move(o)));
}

}  // namespace nimbus::engine::mqtt
