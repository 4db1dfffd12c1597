#pragma once
// The NATS trigger (kind `nats`, nuclio's attributes): subscribes to
// `attributes.topic` (wildcards `*` and `>` allowed) on `url: nats://host:port`,
// in the queue group `attributes.queueName` when given (engines in one group
// share the subject, each message to one of them). Each message is an event:
// its subject the topic and path, its NATS headers the headers, its data the
// body. A message with a reply subject (a request) is answered with the
// handler's response body. NATS core is at-most-once: a message whose
// handler fails is not redelivered. cnats delivers on a thread of its own;
// messages cross to the loop through a Mailbox, taken as workers have room
// (`maxInFlight`, default 64 per worker), so a flood waits in the client and
// the server, not here. Credentials: `attributes.user`/`password`/`token`
// as {env: NAME} or {file: path}.

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../../clients/nats_client.hpp"
#include "../event_ids.hpp"
#include "../mailbox.hpp"
#include "nimbus/detail/event_data.hpp"
#include "nimbus/engine/trigger.hpp"

namespace nimbus::engine::nats {

struct NatsOptions {
  NatsServer server;
  std::string topic;
  std::string queue;
  int pending_messages = 65536;  // cnats's slow-consumer limits: past them, messages are dropped
  long long pending_bytes = 64LL << 20;
  int max_in_flight = 4;
  std::size_t max_body_bytes = std::size_t{1} << 20;
};

class NatsTrigger final : public Trigger {
 public:
  NatsTrigger(TriggerSpec spec, NatsOptions options);
  ~NatsTrigger() override;
  NatsTrigger(const NatsTrigger&) = delete;
  NatsTrigger& operator=(const NatsTrigger&) = delete;

  Result<void> open(EventLoop& loop) noexcept override;
  void after_poll() override { pump(); }
  void drain() override;
  [[nodiscard]] bool idle() const override { return in_flight_ == 0 && (draining_ || mailbox_->size() == 0); }
  [[nodiscard]] bool ready() const override { return connected_.load(); }
  [[nodiscard]] std::size_t max_event_bytes() const noexcept override {
    return o_.max_body_bytes + (64 << 10);
  }
  [[nodiscard]] Json describe() const override;

  // What cnats's threads post to the loop: a message, or news of the connection.
  struct Item {
    natsMsg* message = nullptr;
    std::string news;  // when not a message
    bool warning = false;
  };
  void post_news(std::string news, bool warning);
  void post_message(natsMsg* message);
  void set_connected(bool up) { connected_.store(up); }
  void dropping();  // cnats dropped a message (slow consumer); on its thread
  void closed();    // cnats's last callback of the connection; on its thread

 private:
  EventLoop* loop_ = nullptr;  // its time stamps the events
  void on_start() override;
  void pump();
  void handle(natsMsg* message);

  NatsOptions o_;
  std::unique_ptr<Mailbox<Item>> mailbox_;
  natsConnection* connection_ = nullptr;
  natsSubscription* subscription_ = nullptr;
  std::atomic<bool> connected_{false};
  std::mutex closed_mutex_;  // the destructor waits for `closed()`
  std::condition_variable closed_signal_;
  bool closed_ = false;
  std::atomic<std::int64_t> said_dropping_{0};  // when the last drop was said (steady clock ticks)
  int in_flight_ = 0;
  bool draining_ = false;
  EventIds ids_;
  std::string id_;                                 // the event at hand's id, reused
  std::vector<detail::EventParts::Pair> headers_;  // its headers, as views, reused
  std::vector<std::byte> encoded_;                 // its encoding, reused
  std::vector<natsMsg*> handled_;                  // this batch's messages, destroyed together after it
};

/// The factory registered as `nats`.
Result<std::unique_ptr<Trigger>> make_nats_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment);

}  // namespace nimbus::engine::nats
