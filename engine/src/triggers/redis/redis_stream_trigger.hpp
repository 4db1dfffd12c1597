#pragma once
// The Redis Streams trigger (kind `redis-stream`, Nimbus's own): reads a
// stream as a member of a consumer group (XREADGROUP), each entry an event
// (its `body` field the body, its other fields headers), on two hiredis
// connections driven by the processor's loop: one reads (blocking for up to
// a second), one acknowledges.
//
// `url: redis://host:port[/db]`; attributes `stream` (required),
// `consumerGroup` (default: the function's name), `consumerName` (default:
// the host name and process id), `delivery: at-least-once` (default: XACK
// after the handler answered below 500; what it did not answer stays
// pending, and is read again by the same consumer after a restart or
// claimed by another after `claimIdle`, default 30s) or `at-most-once`
// (NOACK: never delivered twice, lost if the handler fails),
// `maxInFlight` (default 64 per worker: when that many are running, reading
// stops), `password: {env: NAME}` or `{file: path}`, `explicitAckMode:
// disable|enable|explicitOnly` (nuclio's: with `enable` a response with
// `X-Nuclio-Stream-No-Ack`, with `explicitOnly` every entry, stays pending
// until `ctx.platform().explicit_ack`). A Redis that is down
// is retried with backoff (1 s doubling to 30 s), said once, and the trigger
// is not ready meanwhile. docs/triggers.md says what it guarantees.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/engine/trigger.hpp"
#include "redis_link.hpp"

namespace nimbus::engine::redis {

struct StreamOptions {
  std::string url;  // as configured, for messages
  std::string host;
  int port = 6379;
  int db = 0;
  std::string password;  // never in a message
  std::string stream;
  std::string group;
  std::string consumer;
  bool at_least_once = true;
  int max_in_flight = 4;
  std::chrono::milliseconds claim_idle{30'000};
  std::size_t max_body_bytes = std::size_t{1} << 20;
  ExplicitAck explicit_ack = ExplicitAck::kDisable;
};

class StreamTrigger final : public Trigger {
 public:
  StreamTrigger(TriggerSpec spec, StreamOptions options);
  ~StreamTrigger() override;
  StreamTrigger(const StreamTrigger&) = delete;
  StreamTrigger& operator=(const StreamTrigger&) = delete;

  Result<void> open(EventLoop& loop) noexcept override;
  void after_poll() override {
    flush_acks();
    read();
  }
  void tick(std::chrono::steady_clock::time_point now) override;
  void drain() override { draining_ = true; }
  /// Nothing running and every acknowledgement answered (a stop loses none).
  [[nodiscard]] bool idle() const override { return in_flight_ == 0 && acks_due_ == 0 && acks_.empty(); }
  [[nodiscard]] bool ready() const override { return ready_; }
  [[nodiscard]] std::size_t max_event_bytes() const noexcept override {
    return o_.max_body_bytes + (64 << 10);
  }
  [[nodiscard]] Json describe() const override;
  /// XACKs the entries waiting for it whose id's milliseconds are at most `offset.offset`.
  bool explicit_ack(const QualifiedOffset& offset) override;

 private:
  void on_start() override { connect(); }
  void connect();
  void on_state(bool up, const std::string& why);
  void prepare();  // AUTH, SELECT, XGROUP CREATE: then ready
  void read();
  void on_entries(const redisReply* reply, bool pending);
  void handle(const redisReply* entry, bool last);
  void acknowledge(const std::string& id);
  void flush_acks();
  void claim();

  StreamOptions o_;
  EventLoop* loop_ = nullptr;
  std::unique_ptr<Link> reader_;
  std::unique_ptr<Link> acker_;
  bool ready_ = false;
  bool reading_ = false;       // an XREADGROUP is outstanding
  bool pending_phase_ = true;  // reading our own pending entries (id 0...) before new ones (>)
  std::string pending_from_ = "0";
  int in_flight_ = 0;
  std::unordered_set<std::string> in_flight_ids_;
  std::multimap<std::int64_t, std::string> awaiting_ack_;  // answered, not acknowledged: by the id's ms
  std::unordered_set<std::string> awaiting_ids_;
  std::int64_t acked_through_ = -1;  // the latest explicit_ack: covers entries answered after it came
  bool draining_ = false;
  bool closing_ = false;
  bool said_down_ = false;
  std::chrono::seconds backoff_{1};
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::steady_clock::time_point next_claim_{};
  int acks_due_ = 0;               // XACKs sent and not yet answered
  std::vector<std::string> acks_;  // ids to acknowledge, sent as one XACK after the loop iteration
};

/// The factory registered as `redis-stream`.
Result<std::unique_ptr<Trigger>> make_redis_stream_trigger(const TriggerSpec& spec,
                                                           const TriggerEnvironment& environment);

}  // namespace nimbus::engine::redis
