#include "kafka_trigger.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <functional>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine::kafka {
namespace {

KafkaTrigger* of(void* opaque) { return static_cast<KafkaTrigger*>(opaque); }

// librdkafka's callbacks: with the main queue forwarded to the consumer's,
// they run inside rd_kafka_consumer_poll, on the loop's thread.
void rebalance_cb(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                  void* opaque) {
  of(opaque)->on_rebalance(err, partitions);
}
void error_cb(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  of(opaque)->on_error(err, reason);
}
int stats_cb(rd_kafka_t* /*rk*/, char* json, size_t length, void* opaque) {
  of(opaque)->on_stats(json, length);
  return 0;  // librdkafka frees it
}
// librdkafka's own log lines (a failed connection, every retry) are not ours to
// print: what the operator needs arrives through the error callback, said once.
void log_cb(const rd_kafka_t* /*rk*/, int /*level*/, const char* /*fac*/, const char* /*buf*/) {}

using PartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)>;
PartitionList partition_list(int size) {
  return {rd_kafka_topic_partition_list_new(size), rd_kafka_topic_partition_list_destroy};
}

std::string describe_partitions(const rd_kafka_topic_partition_list_t* list) {
  std::string out;
  for (int i = 0; i < list->cnt; ++i) {
    if (i > 0) out += ", ";
    out += std::string(list->elems[i].topic) + "[" + std::to_string(list->elems[i].partition) + "]";
  }
  return out.empty() ? "no partitions" : out;
}

}  // namespace

KafkaTrigger::KafkaTrigger(TriggerSpec spec, KafkaOptions options)
    : Trigger(std::move(spec)), o_(std::move(options)) {}

KafkaTrigger::~KafkaTrigger() {
  if (consumer_ != nullptr) {
    closing_ = true;
    store_offsets();
    // Commits what was stored and leaves the group (its partitions go to the
    // others at once); bounded by the session timeout when the brokers are gone.
    rd_kafka_consumer_close(consumer_);
    if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
    rd_kafka_destroy(consumer_);
  }
  if (loop_ != nullptr && wake_read_ >= 0) loop_->unwatch(wake_read_);
  if (wake_read_ >= 0) ::close(wake_read_);
  if (wake_write_ >= 0) ::close(wake_write_);
}

std::string KafkaTrigger::name() const { return "kafka-cluster trigger '" + spec().name + "'"; }

Result<void> KafkaTrigger::open(EventLoop& loop) noexcept {
  try {
    std::array<char, 512> why{};
    Settings settings = {
        {"bootstrap.servers", format::join(o_.brokers, ",")},
        {"group.id", o_.group},
        {"client.id", "nimbus-" + spec().name},
        {"enable.auto.commit", "true"},         // what was stored, every commitInterval and on a rebalance
        {"enable.auto.offset.store", "false"},  // stored only past messages answered below 500
        {"auto.commit.interval.ms", std::to_string(o_.commit_interval.count())},
        {"auto.offset.reset", o_.earliest ? "earliest" : "latest"},
        {"session.timeout.ms", std::to_string(o_.session_timeout.count())},
        {"heartbeat.interval.ms", std::to_string(o_.heartbeat_interval.count())},
        {"queued.max.messages.kbytes", std::to_string(std::max<std::size_t>(o_.fetch_queue_bytes / 1024, 1))},
        {"queued.min.messages", std::to_string(kQueuedMinMessages)},
        // One fetch answer may come on top of the full queue: half its size (librdkafka's default is 50 MB).
        {"fetch.max.bytes",
         std::to_string(std::max<std::size_t>(o_.fetch_queue_bytes / 2, std::size_t{1} << 20))},
        {"statistics.interval.ms", "1000"},  // tells when a broker is up again
        {"enable.partition.eof", "false"},
    };
    const Settings security = security_settings(o_.security);  // read from the environment or a file
    settings.insert(settings.end(), security.begin(), security.end());
    auto made = make_conf(settings, name());
    if (!made) return made.error();
    rd_kafka_conf_t* conf = *made;
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why.data(), why.size());
    if (consumer_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Error{name() + ": " + why.data()};
    }
    rd_kafka_poll_set_consumer(consumer_);
    queue_ = rd_kafka_queue_get_consumer(consumer_);
    std::array<int, 2> fds{};
    if (pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC) != 0) return Error{name() + ": pipe2 failed"};
    wake_read_ = fds[0];
    wake_write_ = fds[1];
    // librdkafka writes a byte to the pipe when its queue stops being empty: the loop wakes to take it.
    rd_kafka_queue_io_event_enable(queue_, wake_write_, "k", 1);
    if (auto ok = loop.watch(wake_read_, EPOLLIN, this); !ok)
      return Error{name() + ": " + ok.error().message};
    loop_ = &loop;
    return {};
  } catch (const std::exception& e) {
    return Error{name() + ": " + e.what()};
  }
}

void KafkaTrigger::on_start() {
  // Joining once the workers are up: nothing arrives before there is someone to run it.
  auto topics = partition_list(static_cast<int>(o_.topics.size()));
  for (const auto& t : o_.topics)
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (const rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, topics.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR)
    notice(name() + ": subscribing to " + format::join(o_.topics) + ": " + rd_kafka_err2str(err));
  pump();
}

void KafkaTrigger::on_ready(std::uint32_t /*events*/) {
  std::array<char, 64> sink{};
  while (::read(wake_read_, sink.data(), sink.size()) > 0) {
  }
  pump();
}

void KafkaTrigger::after_poll() {
  pump();
  store_offsets();
}

void KafkaTrigger::tick(std::chrono::steady_clock::time_point now) {
  retry_failed(now);
  pump();
}

void KafkaTrigger::pump() {
  if (!started() || consumer_ == nullptr || closing_) return;
  // Taking a message only when there is room for it: the rest waits in
  // librdkafka's bounded prefetch and in the broker.
  // A poll that served something else (statistics, a commit's result, a rebalance) returns no
  // message though messages may wait behind it; the queue's io-event fires only when it was
  // empty, so stopping there left them until the next tick (a second: bench/streams saw it).
  // Taken in batches: one lock of librdkafka's queue and one look at its clock for up to 64
  // messages (rd_kafka_consume_batch_queue serves rebalances and errors as consumer_poll does).
  std::array<rd_kafka_message_t*, 64> batch{};
  for (int served = 0; !draining_ && in_flight_ < o_.max_in_flight;) {
    const auto room =
        std::min<std::size_t>(batch.size(), static_cast<std::size_t>(o_.max_in_flight - in_flight_));
    const std::uint64_t rebalances = rebalances_;
    const ssize_t taken = rd_kafka_consume_batch_queue(queue_, 0, batch.data(), room);
    if (taken <= 0) {
      if (rd_kafka_queue_length(queue_) == 0) {
        restart_fetcher();
        break;
      }
      if (++served > 64) break;
      continue;
    }
    for (ssize_t i = 0; i < taken; ++i) {
      rd_kafka_message_t* message = batch[static_cast<std::size_t>(i)];
      if (rebalances != rebalances_) {  // fetched under the assignment before: the new one reads it again
        rd_kafka_message_destroy(message);
        continue;
      }
      ++burst_messages_;
      burst_bytes_ += message->len;
      handle(message);
    }
  }
}

// The event is encoded straight from the message (views into librdkafka's buffers), into one
// buffer the trigger keeps: no strings are built per message. `id_` is the event's id.
Event KafkaTrigger::encode(const rd_kafka_message_t* message, const Partition& p) {
  const std::int64_t offset = message->offset;
  detail::EventParts e;
  e.id = id_;
  e.trigger_kind = "kafka-cluster";
  e.trigger_name = spec().name;
  e.topic = p.topic;
  e.path = p.topic;
  e.has_stream = true;
  e.partition = p.id;
  e.num_shards = p.num_shards;
  e.offset = offset;
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t ms = rd_kafka_message_timestamp(message, &type);
  e.timestamp = ms >= 0 ? std::chrono::system_clock::time_point(std::chrono::milliseconds(ms))
                        : std::chrono::system_clock::now();
  if (message->payload != nullptr) e.body = {static_cast<const char*>(message->payload), message->len};
  const detail::EventParts::Pair key{
      "key", message->key != nullptr
                 ? std::string_view(static_cast<const char*>(message->key), message->key_len)
                 : std::string_view()};
  if (message->key != nullptr) e.fields = {&key, 1};
  headers_.clear();
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      const std::string_view text =
          value != nullptr ? std::string_view(static_cast<const char*>(value), size) : "";
      if (format::iequals(name, "Content-Type")) e.content_type = text;
      headers_.emplace_back(name, text);
    }
  }
  e.headers = headers_;
  return e.encode_into(encoded_);
}

void KafkaTrigger::handle(rd_kafka_message_t* message) {
  std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(message, rd_kafka_message_destroy);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::string what =
        message->rkt != nullptr ? std::string(rd_kafka_topic_name(message->rkt)) + ": " : "";
    on_error(message->err, (what + rd_kafka_message_errstr(message)).c_str());
    return;
  }
  // Found by librdkafka's topic handle first: no topic name is copied per message.
  const std::pair<const void*, std::int32_t> handle{message->rkt, message->partition};
  auto known = by_handle_.find(handle);
  if (known == by_handle_.end()) {
    auto it = partitions_.find(Key{rd_kafka_topic_name(message->rkt), message->partition});
    if (it == partitions_.end()) return;
    known = by_handle_.emplace(handle, &it->second).first;
  }
  Partition& p = *known->second;
  if (!p.assigned || p.failed) return;  // not ours now, or read again
  brokers_down_ = false;                // a message came: a broker is up
  const std::int64_t offset = message->offset;
  p.next = offset + 1;
  std::array<char, 24> digits{};  // no string built per message
  id_.assign(p.id_prefix)
      .append(digits.data(), std::to_chars(digits.data(), digits.data() + digits.size(), offset).ptr);
  if (message->len > o_.max_body_bytes) {
    notice(name() + ": message " + id_ + " of " + std::to_string(message->len) + " bytes is over the " +
           std::to_string(o_.max_body_bytes) + "-byte limit: committed and not run");
    p.running.push_back({offset, 0, {}, true});
    advance(p);
    return;
  }
  const Event event = encode(message, p);
  const std::uint64_t ticket = ++tickets_;
  p.running.push_back({offset, ticket, loop_->now(), false});
  ++p.in_flight;
  ++in_flight_;
  // Two words, so that the completion needs no allocation of its own.
  submit_in_lane(p.lane, event, id_, [partition = &p, ticket](const Response& r) {
    partition->owner->answered(*partition, ticket, r);
  });
}

void KafkaTrigger::answered(Partition& p, std::uint64_t ticket, const Response& response) {
  --in_flight_;
  --p.in_flight;
  const int status = response.status();
  // Its entry, unless the partition was revoked or is read again since (then it is gone).
  auto it =
      std::find_if(p.running.begin(), p.running.end(), [&](const Running& r) { return r.ticket == ticket; });
  if (it == p.running.end()) {
    stats().record(status, std::chrono::nanoseconds(0));
    return;
  }
  stats().record(status, loop_->now() - it->taken);
  if (closing_ || p.failed) return;
  if (status >= 500) {
    const std::int64_t offset = it->offset;
    p.failed = true;
    p.failed_at = offset;
    p.running.clear();
    p.retry_at = std::chrono::steady_clock::now() + p.backoff;
    notice(name() + ": " + p.topic + "[" + std::to_string(p.id) + "] offset " + std::to_string(offset) +
           " answered " + std::to_string(status) +
           ": not committed; the partition is read again from it in " + std::to_string(p.backoff.count()) +
           "s");
    p.backoff = std::min<std::chrono::seconds>(p.backoff * 2, std::chrono::seconds(30));
    auto list = partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.id);
    rd_kafka_pause_partitions(consumer_, list.get());  // nothing more of it until it is read again
    return;
  }
  p.backoff = std::chrono::seconds(1);
  if (!acknowledges(o_.explicit_ack, response)) return;  // committed when the function says so
  it->done = true;
  advance(p);
}

void KafkaTrigger::advance(Partition& p) {
  while (!p.running.empty() && p.running.front().done) {
    p.store = p.running.front().offset + 1;
    p.dirty = true;
    p.running.pop_front();
  }
}

bool KafkaTrigger::explicit_ack(const QualifiedOffset& offset) {
  if (o_.explicit_ack == ExplicitAck::kDisable) return false;
  auto it = partitions_.find(Key{offset.topic, static_cast<std::int32_t>(offset.partition)});
  if (it == partitions_.end()) return false;
  Partition& p = it->second;
  if (!p.assigned || p.failed)
    return true;  // moved to another consumer, or read again: nothing to commit here
  for (auto& r : p.running) {
    if (r.offset <= offset.offset) r.done = true;
  }
  advance(p);
  return true;
}

void KafkaTrigger::store_offsets() {
  if (consumer_ == nullptr) return;
  PartitionList list(nullptr, rd_kafka_topic_partition_list_destroy);
  for (auto& [key, p] : partitions_) {
    if (!p.dirty || !p.assigned) continue;
    if (!list) list = partition_list(static_cast<int>(partitions_.size()));
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.id)->offset = p.store;
    p.dirty = false;
  }
  if (list) rd_kafka_offsets_store(consumer_, list.get());  // a partition revoked meanwhile is refused: fine
}

// librdkafka 2.0's fetcher stops fetching a partition whose queue is full (queued.min.messages,
// queued.max.messages.kbytes) and looks again only when its thread wakes, a second later when
// nothing else wakes it (librdkafka issue 2879; 2.2's fetch.queue.backoff.ms). Whenever the
// workers are slower than the fetcher the queue fills, and the pipeline stood idle for most of
// each second (bench/streams: 140,000 events/s instead of 500,000). So when the queue has just
// been emptied after taking enough to have filled it, every partition being read is sought to
// the offset after the last message taken: nothing was waiting to be lost, and the seek is an op
// that wakes the fetcher now.
void KafkaTrigger::restart_fetcher() {
  const bool could_have_filled =
      burst_messages_ >= kQueuedMinMessages / 2 || burst_bytes_ >= o_.fetch_queue_bytes / 2;
  burst_messages_ = 0;
  burst_bytes_ = 0;
  if (!could_have_filled || closing_) return;
  PartitionList list(nullptr, rd_kafka_topic_partition_list_destroy);
  for (auto& [key, p] : partitions_) {
    if (!p.assigned || p.failed || p.next < 0) continue;
    if (!list) list = partition_list(static_cast<int>(partitions_.size()));
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.id)->offset = p.next;
  }
  if (!list) return;
  // Asynchronous (no wait): the version barrier is taken now, so whatever was fetched before is dropped.
  if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_, list.get(), 0); error != nullptr)
    rd_kafka_error_destroy(error);  // the fetcher wakes on its own within a second anyway
}

void KafkaTrigger::retry_failed(std::chrono::steady_clock::time_point now) {
  if (consumer_ == nullptr || closing_ || draining_) return;
  for (auto& [key, p] : partitions_) {
    if (!p.failed || !p.assigned || p.in_flight > 0 || now < p.retry_at) continue;
    auto list = partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.id)->offset = p.failed_at;
    // Waiting (briefly) for the fetcher to move: no message fetched before the seek comes after it.
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_, list.get(), 2000); error != nullptr) {
      notice(name() + ": reading " + p.topic + "[" + std::to_string(p.id) + "] again from offset " +
             std::to_string(p.failed_at) + ": " + rd_kafka_error_string(error) + "; trying again");
      rd_kafka_error_destroy(error);
      p.retry_at = now + p.backoff;
      continue;
    }
    rd_kafka_resume_partitions(consumer_, list.get());
    p.failed = false;
    p.next = p.failed_at;
    ++p.generation;
  }
}

std::int32_t KafkaTrigger::partition_count(const std::string& topic) {
  if (auto it = partition_counts_.find(topic); it != partition_counts_.end()) return it->second;
  std::int32_t count = 0;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (handle != nullptr &&
      rd_kafka_metadata(consumer_, 0, handle, &metadata, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < metadata->topic_cnt; ++i) {
      if (topic == metadata->topics[i].topic) count = metadata->topics[i].partition_cnt;
    }
    rd_kafka_metadata_destroy(metadata);
  }
  if (handle != nullptr) rd_kafka_topic_destroy(handle);
  if (count > 0) partition_counts_[topic] = count;
  return count;
}

void KafkaTrigger::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  ++rebalances_;
  by_handle_.clear();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && !closing_) {
    for (int i = 0; i < partitions->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = partitions->elems[i];
      Partition& p = partitions_[Key{tp.topic, tp.partition}];
      p.owner = this;
      p.topic = tp.topic;
      p.id = tp.partition;
      p.id_prefix = p.topic + "-" + std::to_string(p.id) + "-";
      p.lane = std::hash<std::string>{}(p.topic) + static_cast<std::uint64_t>(tp.partition);
      p.assigned = true;
      p.next = -1;
      ++p.generation;
      p.running.clear();
      p.dirty = false;
      p.failed = false;
      p.backoff = std::chrono::seconds(1);
    }
    partition_counts_.clear();  // a topic may have grown
    for (int i = 0; i < partitions->cnt; ++i) {
      Partition& p = partitions_[Key{partitions->elems[i].topic, partitions->elems[i].partition}];
      p.num_shards = partition_count(p.topic);
    }
    rd_kafka_assign(consumer_, partitions);
    if (!joined_ || brokers_down_)
      notice(name() + ": joined group " + o_.group + " at " + format::join(o_.brokers, ","), false);
    joined_ = true;
    brokers_down_ = false;
    refused_ = false;
    notice(name() + ": assigned " + describe_partitions(partitions), false);
    return;
  }
  // Revoked (or an error): what was answered is stored, and committed as the partitions go.
  store_offsets();
  for (auto& [key, p] : partitions_) {
    if (!p.assigned) continue;
    p.assigned = false;
    ++p.generation;
    p.running.clear();
  }
  rd_kafka_assign(consumer_, nullptr);
  if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) notice(name() + ": rebalance: " + rd_kafka_err2str(err));
}

void KafkaTrigger::on_error(int err, const char* reason) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  // Each retry is refused the same way (librdkafka's text varies: said once, until a broker is up).
  if (code == RD_KAFKA_RESP_ERR__AUTHENTICATION || code == RD_KAFKA_RESP_ERR__SSL) {
    if (!refused_) {
      notice(name() +
             (code == RD_KAFKA_RESP_ERR__SSL ? ": the TLS handshake failed ("
                                             : ": the brokers refused the credentials (") +
             reason + "); retrying");
    }
    refused_ = true;
    brokers_down_ = true;
    return;
  }
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    if (!brokers_down_ && !refused_) {
      notice(name() + ": cannot reach " + format::join(o_.brokers, ",") + " (" + reason + "); retrying");
      last_error_.clear();
    }
    brokers_down_ = true;
    return;
  }
  if (code == RD_KAFKA_RESP_ERR__TRANSPORT && brokers_down_)
    return;  // each retry fails the same way: said once
  const std::string text = std::string(rd_kafka_err2name(code)) + ": " + reason;
  if (text == last_error_) return;
  last_error_ = text;
  notice(name() + ": " + text);
}

void KafkaTrigger::on_stats(const char* json, std::size_t length) {
  if (!brokers_down_) return;
  // {"brokers": {"127.0.0.1:9092/1": {"state": "UP", ...}, ...}, ...}
  const Json stats = Json::parse(json, json + length, nullptr, false);
  if (!stats.is_object() || !stats.contains("brokers")) return;
  for (const auto& [broker, state] : stats["brokers"].items()) {
    if (state.is_object() && state.value("state", "") == "UP" && state.value("nodeid", -1) >= 0) {
      brokers_down_ = false;
      refused_ = false;
      last_error_.clear();
      notice(name() + ": reconnected to " + format::join(o_.brokers, ","), false);
      return;
    }
  }
}

void KafkaTrigger::drain() {
  draining_ = true;  // nothing more is taken; what runs is answered, stored, and committed at the close
}

Json KafkaTrigger::describe() const {
  const char* mode = o_.explicit_ack == ExplicitAck::kDisable  ? "disable"
                     : o_.explicit_ack == ExplicitAck::kEnable ? "enable"
                                                               : "explicitOnly";
  return Json{{"brokers", o_.brokers},
              {"topics", o_.topics},
              {"consumerGroup", o_.group},
              {"initialOffset", o_.earliest ? "earliest" : "latest"},
              {"explicitAckMode", mode}};
}

Result<std::unique_ptr<Trigger>> make_kafka_trigger(const TriggerSpec& spec,
                                                    const TriggerEnvironment& /*environment*/) {
  const std::string where = "spec.triggers." + spec.name;
  KafkaOptions o;
  auto brokers = brokers_attribute(attributes_of(spec), spec.url);
  if (!brokers) return brokers.error();
  o.brokers = std::move(*brokers);
  auto topics = string_list_attribute(spec, "topics");
  if (!topics) return topics.error();
  if (topics->empty()) return Error{where + ".attributes.topics: missing (the topics to read)"};
  o.topics = std::move(*topics);
  auto group = string_attribute(spec, "consumerGroup", spec.name);
  if (!group) return group.error();
  if (group->empty()) return Error{where + ".attributes.consumerGroup: empty"};
  o.group = *group;
  auto initial = string_attribute(spec, "initialOffset", "earliest");
  if (!initial) return initial.error();
  const std::string lower = [&] {
    std::string s = *initial;
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  }();
  if (lower != "earliest" && lower != "latest")
    return Error{where + ".attributes.initialOffset: expected earliest or latest, got '" + *initial + "'"};
  o.earliest = lower == "earliest";
  auto in_flight = max_in_flight_attribute(spec);
  if (!in_flight) return in_flight.error();
  o.max_in_flight = *in_flight;
  using std::chrono::milliseconds;
  for (auto [key, into, fallback] :
       {std::tuple{"commitInterval", &o.commit_interval, milliseconds(1000)},
        std::tuple{"sessionTimeout", &o.session_timeout, milliseconds(10000)},
        std::tuple{"heartbeatInterval", &o.heartbeat_interval, milliseconds(3000)}}) {
    auto duration = duration_attribute(attributes_of(spec), key, fallback);
    if (!duration) return duration.error();
    *into = *duration;
  }
  auto fetch = integer_attribute(spec, "fetchQueueBytes", 8 << 20, 1 << 10, 1 << 30);
  if (!fetch) return fetch.error();
  o.fetch_queue_bytes = static_cast<std::size_t>(*fetch);
  auto max_body = max_body_attribute(spec);
  if (!max_body) return max_body.error();
  o.max_body_bytes = *max_body;
  auto ack = explicit_ack_attribute(spec);
  if (!ack) return ack.error();
  o.explicit_ack = *ack;
  auto security = security_attributes(attributes_of(spec));
  if (!security) return security.error();
  o.security = std::move(*security);
  return std::unique_ptr<Trigger>(std::make_unique<KafkaTrigger>(spec, std::move(o)));
}

}  // namespace nimbus::engine::kafka
