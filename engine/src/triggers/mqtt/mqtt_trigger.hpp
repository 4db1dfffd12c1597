#pragma once
// The MQTT trigger (kind `mqtt`, nuclio's attributes): subscribes to
// `attributes.subscriptions` ([{topic, qos}], wildcards `+` and `#`, and
// MQTT 5 shared subscriptions `$share/<group>/<topic>` for scale-out) on
// `url: tcp://host:port` as `attributes.clientID`, speaking MQTT 5 on the
// processor's loop (mqtt_packet.hpp; no thread of its own). Each message is
// an event: its topic the topic and path, its MQTT 5 user properties the
// headers, its content-type property the content type, its payload the body.
// A message with a response topic (MQTT 5 request/response) is answered there
// with the handler's response body and the request's correlation data.
//
// Delivery: a QoS 1 message is acknowledged (PUBACK; QoS 2: PUBREC) once its
// handler answered below 500. With `cleanSession: false` (and a fixed
// `clientID`) the broker keeps the session: a message whose handler failed is
// delivered again (the trigger reconnects once the messages in flight are
// answered, 1 s doubling to 30 s), and so is one that was running when the
// engine was killed, at the next start; with `cleanSession: true` the broker
// keeps nothing, so a failed message is acknowledged with reason 0x80 and not
// redelivered. Back-pressure: the CONNECT's Receive Maximum is `maxInFlight`,
// so the broker sends no more unacknowledged messages than the workers have
// room for, and reading stops while that many run (QoS 0 waits in the socket
// and the broker). Credentials: `attributes.username` and `password` as
// {env: NAME} or {file: path}.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../event_ids.hpp"
#include "mqtt_packet.hpp"
#include "nimbus/detail/event_data.hpp"
#include "nimbus/engine/event_loop.hpp"
#include "nimbus/engine/trigger.hpp"
#include "tls_session.hpp"

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
  TlsAttributes tls;  // on for ssl://, tls:// and mqtts:// too
};

class MqttTrigger final : public Trigger, private EventLoop::Watcher {
 public:
  MqttTrigger(TriggerSpec spec, MqttOptions options);
  ~MqttTrigger() override;
  MqttTrigger(const MqttTrigger&) = delete;
  MqttTrigger& operator=(const MqttTrigger&) = delete;

  Result<void> open(EventLoop& loop) noexcept override;
  void after_poll() override { service(); }
  void tick(std::chrono::steady_clock::time_point now) override;
  void drain() override;
  [[nodiscard]] bool idle() const override { return in_flight_ == 0 && (fd_ < 0 || out_.empty()); }
  [[nodiscard]] bool ready() const override { return state_ == State::kUp; }
  [[nodiscard]] std::size_t max_event_bytes() const noexcept override {
    return o_.max_body_bytes + (64 << 10);
  }
  [[nodiscard]] Json describe() const override;

 private:
  // kConnecting: TCP under way; kTls: the TLS handshake; kHandshake: CONNECT sent; kConnected:
  // CONNACK taken, not subscribed yet (before the start); kSubscribing: SUBSCRIBE sent; kUp: SUBACK taken.
  enum class State { kDown, kConnecting, kTls, kHandshake, kConnected, kSubscribing, kUp };

  void on_start() override;
  void on_ready(std::uint32_t events) override;
  void connect();
  void connect_next_address();
  void connected();  // TCP (and TLS) is up: CONNECT
  void secure();     // TCP is up: TLS next, when configured
  ssize_t receive(char* into, std::size_t size);
  ssize_t transmit(const char* from, std::size_t size);
  void lost(const std::string& reason);
  void close_socket();
  void close_connection();  // the socket and all that was of this connection
  void service();           // reads, handles and writes what it can
  void read_available();
  void process();
  void handle_packet(const Packet& packet);
  void handle_connack(const Packet& packet);
  void handle_suback(const Packet& packet);
  void handle_publish(const Publish& message);
  void refuse_oversize(const Publish& head, std::size_t bytes);
  void answered(const Response& r, std::uint64_t generation, int qos, std::uint16_t packet_id);
  void subscribe();
  void flush();
  void say(std::string message, bool warning);
  [[nodiscard]] bool can_take() const noexcept;
  [[nodiscard]] std::size_t buffered() const noexcept { return in_.size() - in_at_; }
  std::uint16_t next_packet_id() noexcept;

  MqttOptions o_;
  std::string name_;  // "mqtt trigger 'orders': tcp://host:port"
  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  State state_ = State::kDown;
  std::shared_ptr<TlsContext> tls_context_;               // when TLS is on
  std::unique_ptr<TlsSession> tls_;                       // this connection's
  std::vector<std::pair<bool, std::string>> said_early_;  // (warning, message) said before the start
  std::vector<std::vector<char>> addresses_;              // sockaddrs resolved for this attempt
  std::size_t next_address_ = 0;
  std::string in_;
  std::size_t in_at_ = 0;
  std::size_t skip_ = 0;  // bytes of a refused oversize message still to come
  std::string out_;
  bool readable_ = false;
  std::uint64_t generation_ = 0;  // one per connection: answers of an older one acknowledge nothing
  std::unordered_set<std::uint16_t> running_;  // QoS 1 and 2 packet ids in flight on this connection
  std::uint16_t packet_id_ = 0;
  std::uint16_t subscribe_id_ = 0;
  std::chrono::seconds keep_alive_{30};
  std::chrono::steady_clock::time_point attempt_at_{};
  std::chrono::steady_clock::time_point last_sent_{};
  std::chrono::steady_clock::time_point ping_sent_{};
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::seconds backoff_{1};
  std::chrono::seconds redeliver_backoff_{1};
  bool ever_connected_ = false;
  bool said_down_ = false;
  bool redeliver_ = false;  // a message failed: reconnect once those in flight are answered
  int in_flight_ = 0;
  bool draining_ = false;
  EventIds ids_;
  std::string id_;
  std::vector<detail::EventParts::Pair> headers_;
  std::vector<std::byte> encoded_;
};

/// The factory registered as `mqtt`.
Result<std::unique_ptr<Trigger>> make_mqtt_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment);

}  // namespace nimbus::engine::mqtt
