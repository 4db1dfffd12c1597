#pragma once
// The MQTT trigger (kind `mqtt`, nuclio's attributes): subscribes to
// `attributes.subscriptions` ([{topic, qos}], wildcards `+` and `#`, and
// MQTT 5 shared subscriptions `$share/<group>/<topic>` for scale-out) on
// `url: tcp://host:port` as `attributes.clientID`, speaking MQTT 5 through
// libmosquitto. Each message is an event: its topic the topic and path, its
// MQTT 5 user properties the headers, its content-type property the content
// type, its payload the body. A message with a response topic (MQTT 5
// request/response) is answered there with the handler's response body and
// the request's correlation data.
//
// Delivery: libmosquitto 2.0.11 (Debian 12) acknowledges a QoS 1 or 2
// message (PUBACK, PUBREC) as it reads it, before the application sees it
// (docs/triggers.md shows how that was verified), so from the engine's side
// MQTT is at most once: a message whose handler fails is not redelivered.
// With `cleanSession: false` the broker keeps for the client id what arrives
// while the engine is down. libmosquitto's thread delivers into a bounded
// Mailbox, taken as workers have room (`maxInFlight`), so a flood waits in
// the socket and the broker. Credentials: `attributes.username` and
// `password` as {env: NAME} or {file: path}.

#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../event_ids.hpp"
#include "../mailbox.hpp"
#include "nimbus/engine/trigger.hpp"

namespace nimbus::engine::mqtt {

struct Subscription {
  std::string topic;
  int qos = 0;
};

struct MqttOptions {
  std::string url;
  std::string host;
  int port = 1883;
  std::vector<Subscription> subscriptions;
  std::string client_id;
  std::string username;
  std::string password;
  bool clean_session = true;
  int keep_alive = 30;
  int max_in_flight = 4;
  std::size_t max_body_bytes = std::size_t{1} << 20;
};

class MqttTrigger final : public Trigger {
 public:
  MqttTrigger(TriggerSpec spec, MqttOptions options);
  ~MqttTrigger() override;
  MqttTrigger(const MqttTrigger&) = delete;
  MqttTrigger& operator=(const MqttTrigger&) = delete;

  Result<void> open(EventLoop& loop) noexcept override;
  void after_poll() override { pump(); }
  void tick(std::chrono::steady_clock::time_point now) override;
  void drain() override;
  [[nodiscard]] bool idle() const override { return in_flight_ == 0 && (draining_ || mailbox_->size() == 0); }
  [[nodiscard]] bool ready() const override { return subscribed_.load(); }
  [[nodiscard]] std::size_t max_event_bytes() const noexcept override {
    return o_.max_body_bytes + (64 << 10);
  }
  [[nodiscard]] Json describe() const override;

  // What libmosquitto's thread posts to the loop: a message, or news of the connection.
  struct Item {
    bool is_message = false;
    std::string topic;
    std::string payload;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type;
    std::string response_topic;
    std::string correlation;
    std::string news;  // when not a message
    bool warning = false;
  };
  // On libmosquitto's thread.
  void on_connect(int reason);
  void on_disconnect(int reason);
  void on_subscribe(int granted_count, const int* granted);
  void on_message(const mosquitto_message* message, const mosquitto_property* properties);

 private:
  void on_start() override;
  Result<void> connect();  // starts libmosquitto's thread once a connection began
  void subscribe();
  void post_news(std::string news, bool warning);
  void pump();
  void handle(Item& item);

  MqttOptions o_;
  std::unique_ptr<Mailbox<Item>> mailbox_;
  mosquitto* client_ = nullptr;
  bool thread_started_ = false;
  std::chrono::seconds backoff_{1};
  std::chrono::steady_clock::time_point retry_at_{};
  std::atomic<bool> connected_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<bool> said_down_{false};
  std::mutex subscribed_mutex_;
  std::condition_variable subscribed_changed_;
  int in_flight_ = 0;
  bool draining_ = false;
  EventIds ids_;
};

/// The factory registered as `mqtt`.
Result<std::unique_ptr<Trigger>> make_mqtt_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment);

}  // namespace nimbus::engine::mqtt
