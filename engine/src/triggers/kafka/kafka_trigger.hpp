#pragma once
// The Kafka trigger (kind `kafka-cluster`, nuclio's attributes): a member of
// the consumer group `attributes.consumerGroup` (default: the function's
// name) reading `attributes.topics` from `attributes.brokers`, through
// librdkafka driven by the processor's loop (its consumer queue wakes the
// loop through a pipe; no thread of ours).
//
// Each message is an event: its topic the topic and path, its partition the
// shard id (the topic's partition count `num_shards`), its offset the
// offset, its headers the headers (`Content-Type` the content type), its key
// the field `key`, its timestamp the timestamp, "<topic>-<partition>-<offset>"
// the id.
//
// Order: a partition's messages run one after another on one worker (its
// lane), in offset order; different partitions run in parallel.
// Delivery: at least once. A partition's offset is committed (stored, then
// committed every `commitInterval`, default 1s, on a rebalance and at the
// stop) past a message only when it and every message before it in that
// partition were answered below 500. A message answered 500 or more (a
// handler error, a crash, a timeout) is read again from its offset after a
// backoff (1 s doubling to 30 s), with the ones after it: the partition
// waits meanwhile, as its order requires. `initialOffset: earliest`
// (default) or `latest`: where a group with no committed offset starts.
// `explicitAckMode: disable|enable|explicitOnly` (nuclio's): with `enable` a
// response with `X-Nuclio-Stream-No-Ack`, with `explicitOnly` every message,
// is committed only by `ctx.platform().explicit_ack`.
// `maxInFlight` (default 64 per worker) bounds the messages running; reading
// stops at it and librdkafka's prefetch is bounded (`fetchQueueBytes`,
// default 8 MiB), so a flood waits in the broker.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../clients/kafka_client.hpp"
#include "nimbus/detail/event_data.hpp"
#include "nimbus/engine/trigger.hpp"

namespace nimbus::engine::kafka {

struct KafkaOptions {
  std::vector<std::string> brokers;
  std::vector<std::string> topics;
  std::string group;
  bool earliest = true;
  int max_in_flight = 4;
  std::chrono::milliseconds commit_interval{1000};
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds heartbeat_interval{3'000};
  std::size_t fetch_queue_bytes = std::size_t{8} << 20;
  std::size_t max_body_bytes = std::size_t{1} << 20;
  ExplicitAck explicit_ack = ExplicitAck::kDisable;
  KafkaSecurity security;
};

class KafkaTrigger final : public Trigger, private EventLoop::Watcher {
 public:
  KafkaTrigger(TriggerSpec spec, KafkaOptions options);
  ~KafkaTrigger() override;
  KafkaTrigger(const KafkaTrigger&) = delete;
  KafkaTrigger& operator=(const KafkaTrigger&) = delete;

  Result<void> open(EventLoop& loop) noexcept override;
  void after_poll() override;
  void tick(std::chrono::steady_clock::time_point now) override;
  void drain() override;
  [[nodiscard]] bool idle() const override { return in_flight_ == 0; }
  [[nodiscard]] bool ready() const override { return joined_ && !brokers_down_; }
  [[nodiscard]] std::size_t max_event_bytes() const noexcept override {
    return o_.max_body_bytes + (64 << 10);
  }
  [[nodiscard]] Json describe() const override;
  /// Commits the partition up to and including `offset.offset` (Kafka's commits are cumulative).
  bool explicit_ack(const QualifiedOffset& offset) override;

  // librdkafka's callbacks, served on the loop's thread (from rd_kafka_consumer_poll).
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void on_error(int err, const char* reason);
  void on_stats(const char* json, std::size_t length);

 private:
  // A message handed to the workers and not committed yet.
  struct Running {
    std::int64_t offset = 0;
    std::uint64_t ticket = 0;  // which submission its answer belongs to
    std::chrono::steady_clock::time_point taken{};
    bool done = false;  // answered below 500 (and acknowledged, with explicitAckMode)
  };
  // One partition this consumer was given: its messages running, in offset order.
  struct Partition {
    KafkaTrigger* owner = nullptr;
    std::string topic;
    std::string id_prefix;  // "topic-partition-": an event's id is it and the offset
    std::int32_t id = 0;
    std::int32_t num_shards = 0;
    std::uint64_t lane = 0;
    bool assigned = false;
    std::uint64_t generation = 0;  // answers of an earlier assignment or rewind are ignored
    std::deque<Running> running;
    std::int64_t store = -1;  // the next offset to commit, when > committed
    bool dirty = false;       // `store` moved since the last store
    int in_flight = 0;
    std::int64_t next = -1;  // the offset after the last message taken
    bool failed = false;     // waiting to read again from `failed_at`
    std::int64_t failed_at = 0;
    std::chrono::seconds backoff{1};
    std::chrono::steady_clock::time_point retry_at{};
  };
  using Key = std::pair<std::string, std::int32_t>;

  void on_ready(std::uint32_t events) override;
  void on_start() override;
  void pump();
  void handle(rd_kafka_message_t* message);
  [[nodiscard]] Event encode(const rd_kafka_message_t* message, const Partition& p);
  void answered(Partition& p, std::uint64_t ticket, const Response& response);
  void advance(Partition& p);
  void store_offsets();
  void retry_failed(std::chrono::steady_clock::time_point now);
  void restart_fetcher();
  [[nodiscard]] std::int32_t partition_count(const std::string& topic);
  [[nodiscard]] std::string name() const;

  KafkaOptions o_;
  rd_kafka_t* consumer_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  int wake_read_ = -1;
  int wake_write_ = -1;
  EventLoop* loop_ = nullptr;
  std::map<Key, Partition> partitions_;
  std::map<std::string, std::int32_t> partition_counts_;
  int in_flight_ = 0;
  bool refused_ = false;  // credentials or TLS refused: said once until a broker is up
  // Taken since librdkafka's queue was last empty (restart_fetcher).
  std::size_t burst_messages_ = 0;
  std::size_t burst_bytes_ = 0;
  std::uint64_t rebalances_ = 0;                             // a batch taken across one is dropped (pump)
  static constexpr std::size_t kQueuedMinMessages = 100000;  // librdkafka's default, set explicitly
  bool draining_ = false;
  bool closing_ = false;
  bool joined_ = false;        // the group assigned this consumer its partitions (maybe none)
  bool brokers_down_ = false;  // librdkafka said all brokers are down; until a broker is up again
  std::string last_error_;
  std::uint64_t tickets_ = 0;
  std::map<std::pair<const void*, std::int32_t>, Partition*>
      by_handle_;                                  // librdkafka's topic handle, partition
  std::string id_;                                 // the event at hand's id, reused
  std::vector<detail::EventParts::Pair> headers_;  // its headers, as views, reused
  std::vector<std::byte> encoded_;                 // its encoding, reused
};

/// The factory registered as `kafka-cluster`.
Result<std::unique_ptr<Trigger>> make_kafka_trigger(const TriggerSpec& spec,
                                                    const TriggerEnvironment& environment);

}  // namespace nimbus::engine::kafka
