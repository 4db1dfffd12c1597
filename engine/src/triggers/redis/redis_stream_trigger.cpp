#include "redis_stream_trigger.hpp"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "../../util/redis_address.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine::redis {
namespace {

// "1700000000000-3": milliseconds and sequence.
std::pair<std::int64_t, std::int64_t> entry_position(std::string_view id) {
  std::int64_t ms = 0;
  std::int64_t seq = 0;
  const auto dash = id.find('-');
  std::from_chars(id.data(), id.data() + std::min(dash, id.size()), ms);
  if (dash != std::string_view::npos) std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return {ms, seq};
}

std::string text_of(const redisReply* r) { return reply_text(r); }

}  // namespace

StreamTrigger::StreamTrigger(TriggerSpec spec, StreamOptions options)
    : Trigger(std::move(spec)), o_(std::move(options)) {}

StreamTrigger::~StreamTrigger() {
  closing_ = true;  // the links' last callbacks (null replies) find nothing to do
  reader_.reset();
  acker_.reset();
}

Result<void> StreamTrigger::open(EventLoop& loop) noexcept {
  try {
    loop_ = &loop;
    reader_ = std::make_unique<Link>(loop, o_.host, o_.port, [this](bool up, const std::string& why) {
      if (!closing_) on_state(up, why);
    });
    acker_ = std::make_unique<Link>(loop, o_.host, o_.port, [this](bool up, const std::string& why) {
      if (!closing_) on_state(up, why);
    });
    return {};
  } catch (const std::exception& e) {
    return Error{"redis-stream trigger '" + spec().name + "': " + e.what()};
  }
}

void StreamTrigger::connect() {
  if (closing_ || draining_) return;
  reader_->connect();
  acker_->connect();
}

void StreamTrigger::on_state(bool up, const std::string& why) {
  if (up) {
    if (reader_->up() && acker_->up()) prepare();  // the second link up starts the reading
    return;
  }
  const bool was_ready = ready_;
  ready_ = false;
  reading_ = false;
  if (!said_down_ || was_ready) {
    notice("redis-stream trigger '" + spec().name + "': cannot reach " + o_.url + " (" + why + "); retrying");
    said_down_ = true;
  }
  retry_at_ = std::chrono::steady_clock::now() + backoff_;
  backoff_ = std::min<std::chrono::seconds>(backoff_ * 2, std::chrono::seconds(30));
}

void StreamTrigger::prepare() {
  // Both links authenticate and pick the database; then the group is made (it may exist).
  for (Link* link : {reader_.get(), acker_.get()}) {
    if (!o_.password.empty()) {
      link->command({"AUTH", o_.password}, [this](const redisReply* r) {
        if (!closing_ && is_error(r) && r != nullptr) {
          notice("redis-stream trigger '" + spec().name + "': " + o_.url + " refused the password");
        }
      });
    }
    if (o_.db != 0) link->command({"SELECT", std::to_string(o_.db)}, {});
  }
  reader_->command({"XGROUP", "CREATE", o_.stream, o_.group, "0", "MKSTREAM"}, [this](const redisReply* r) {
    if (closing_ || r == nullptr) return;
    const std::string text = text_of(r);
    if (is_error(r) && text.rfind("BUSYGROUP", 0) != 0) {
      notice("redis-stream trigger '" + spec().name + "': XGROUP CREATE on " + o_.url + ": " + text);
      return;
    }
    ready_ = true;
    backoff_ = std::chrono::seconds(1);
    pending_phase_ = true;  // what this consumer was given before and did not acknowledge, first
    pending_from_ = "0";
    if (said_down_) notice("redis-stream trigger '" + spec().name + "': connected to " + o_.url, false);
    said_down_ = false;
    read();
  });
}

void StreamTrigger::read() {
  // Reading again once half the room is free, so that each read takes many entries.
  if (!started() || !ready_ || reading_ || draining_ || closing_ || in_flight_ > o_.max_in_flight / 2) return;
  reading_ = true;
  const bool pending = pending_phase_;
  std::vector<std::string> words = {"XREADGROUP", "GROUP", o_.group,
                                    o_.consumer,  "COUNT", std::to_string(o_.max_in_flight - in_flight_)};
  if (!pending) {
    words.emplace_back("BLOCK");
    words.emplace_back("1000");
    if (!o_.at_least_once) words.emplace_back("NOACK");
  }
  words.emplace_back("STREAMS");
  words.push_back(o_.stream);
  words.push_back(pending ? pending_from_ : ">");
  reader_->command(words, [this, pending](const redisReply* r) {
    if (closing_) return;
    reading_ = false;
    if (r == nullptr) return;  // the link went down: on_state retries
    if (is_error(r)) {
      notice("redis-stream trigger '" + spec().name + "': XREADGROUP on " + o_.url + ": " + text_of(r));
      if (text_of(r).rfind("NOGROUP", 0) == 0) prepare();  // the stream or group was deleted: made again
      return;
    }
    on_entries(r, pending);
    read();
  });
}

void StreamTrigger::on_entries(const redisReply* reply, bool pending) {
  // [[stream, [[id, [field, value, ...]], ...]]], or nil when the block timed out.
  std::size_t count = 0;
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
      reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2) {
    const redisReply* entries = reply->element[0]->element[1];
    count = entries->type == REDIS_REPLY_ARRAY ? entries->elements : 0;
    for (std::size_t i = 0; i < count; ++i) handle(entries->element[i], i + 1 == count);
  }
  if (pending && count == 0) pending_phase_ = false;  // our own backlog is done: new entries now
}

void StreamTrigger::handle(const redisReply* entry, bool last) {
  if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
      entry->element[0]->type != REDIS_REPLY_STRING) {
    return;
  }
  const std::string id = text_of(entry->element[0]);
  if (pending_phase_) pending_from_ = id;
  if (in_flight_ids_.contains(id) || awaiting_ids_.contains(id)) return;  // read again from our pending list
  const redisReply* fields = entry->element[1];
  if (fields->type != REDIS_REPLY_ARRAY) {  // a pending entry that was deleted since: nothing to run
    acknowledge(id);
    return;
  }
  detail::EventData d;
  d.id = id;
  d.trigger_kind = "redis-stream";
  d.trigger_name = spec().name;
  d.path = o_.stream;
  d.has_stream = true;
  d.topic = o_.stream;
  d.num_shards = 1;
  const auto [ms, seq] = entry_position(id);
  d.offset = ms;
  d.timestamp = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  d.last_in_batch = last;
  for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
    std::string name = text_of(fields->element[i]);
    std::string value = text_of(fields->element[i + 1]);
    if (name == "body") {
      d.body = std::move(value);
      continue;
    }
    if (format::iequals(name, "content-type") || name == "contentType") d.content_type = value;
    d.headers.emplace_back(std::move(name), std::move(value));
  }
  if (d.body.size() > o_.max_body_bytes) {
    notice("redis-stream trigger '" + spec().name + "': entry " + id + " of " + o_.stream +
           " has a body of " + std::to_string(d.body.size()) + " bytes, over the " +
           std::to_string(o_.max_body_bytes) + "-byte limit: acknowledged and not run");
    acknowledge(id);
    return;
  }
  const detail::EventBuffer event(d);
  ++in_flight_;
  in_flight_ids_.insert(id);
  const auto taken = loop_->now();
  submit(event, id, [this, id, taken, ms = static_cast<std::int64_t>(ms)](const Response& r) {
    if (closing_) return;
    --in_flight_;
    in_flight_ids_.erase(id);
    stats().record(r.status(), loop_->now() - taken);
    if (acknowledges(o_.explicit_ack, r) || (r.status() < 500 && ms <= acked_through_)) {
      acknowledge(id);  // (an explicit_ack comes before the answer of the handler that sent it)
    } else if (r.status() < 500 && o_.at_least_once) {  // the function acknowledges it (explicit_ack)
      awaiting_ack_.emplace(ms, id);
      awaiting_ids_.insert(id);
    }  // else it stays pending: read again after a restart, or claimed by another consumer after claimIdle
  });
}

void StreamTrigger::acknowledge(const std::string& id) {
  if (!o_.at_least_once) return;  // NOACK: nothing pending
  acks_.push_back(id);            // sent with the others of this loop iteration (flush_acks)
}

void StreamTrigger::flush_acks() {
  if (acks_.empty() || closing_) return;
  std::vector<std::string> words = {"XACK", o_.stream, o_.group};
  words.insert(words.end(), std::make_move_iterator(acks_.begin()), std::make_move_iterator(acks_.end()));
  acks_.clear();
  ++acks_due_;
  acker_->command(words, [this](const redisReply* r) {
    if (closing_) return;
    --acks_due_;
    if (is_error(r) && r != nullptr) {
      notice("redis-stream trigger '" + spec().name + "': XACK on " + o_.url + ": " + text_of(r));
    }
  });
}

void StreamTrigger::claim() {
  // Entries another consumer (one that died) took and never acknowledged, idle for claimIdle: ours now.
  if (!ready_ || draining_ || !o_.at_least_once || in_flight_ >= o_.max_in_flight) return;
  reader_->command({"XAUTOCLAIM", o_.stream, o_.group, o_.consumer, std::to_string(o_.claim_idle.count()),
                    "0-0", "COUNT", std::to_string(o_.max_in_flight - in_flight_)},
                   [this](const redisReply* r) {
                     // [next cursor, [[id, [field, value, ...]], ...], [deleted ids]]
                     if (closing_ || is_error(r) || r->type != REDIS_REPLY_ARRAY || r->elements < 2) return;
                     const redisReply* entries = r->element[1];
                     if (entries->type != REDIS_REPLY_ARRAY) return;
                     for (std::size_t i = 0; i < entries->elements; ++i) {
                       handle(entries->element[i], i + 1 == entries->elements);
                     }
                   });
}

void StreamTrigger::tick(std::chrono::steady_clock::time_point now) {
  if (closing_ || draining_) return;
  if (!reader_->up() || !acker_->up()) {
    if (now >= retry_at_) connect();
    return;
  }
  if (now >= next_claim_) {
    claim();
    next_claim_ = now + std::max<std::chrono::milliseconds>(o_.claim_idle / 2, std::chrono::seconds(1));
  }
  read();
}

bool StreamTrigger::explicit_ack(const QualifiedOffset& offset) {
  if (o_.explicit_ack == ExplicitAck::kDisable || offset.topic != o_.stream) return false;
  acked_through_ = std::max(acked_through_, offset.offset);
  const auto end = awaiting_ack_.upper_bound(offset.offset);
  for (auto it = awaiting_ack_.begin(); it != end; ++it) {
    awaiting_ids_.erase(it->second);
    acknowledge(it->second);
  }
  awaiting_ack_.erase(awaiting_ack_.begin(), end);
  return true;
}

Json StreamTrigger::describe() const {
  return Json{{"url", o_.url},
              {"stream", o_.stream},
              {"consumerGroup", o_.group},
              {"consumerName", o_.consumer},
              {"delivery", o_.at_least_once ? "at-least-once" : "at-most-once"}};
}

Result<std::unique_ptr<Trigger>> make_redis_stream_trigger(const TriggerSpec& spec,
                                                           const TriggerEnvironment& /*environment*/) {
  const std::string where = "spec.triggers." + spec.name;
  StreamOptions o;
  o.url = spec.url.empty() ? "redis://127.0.0.1:6379" : spec.url;
  auto address = parse_redis_url(o.url, where + ".url", "attributes.password");
  if (!address) return address.error();
  o.host = address->host;
  o.port = address->port;
  o.db = address->db;
  auto stream = string_attribute(spec, "stream", "");
  if (!stream) return stream.error();
  if (stream->empty()) return Error{where + ".attributes.stream: missing (the stream to read)"};
  o.stream = *stream;
  auto group = string_attribute(spec, "consumerGroup", spec.name);
  if (!group) return group.error();
  o.group = *group;
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  auto consumer =
      string_attribute(spec, "consumerName", std::string(host.data()) + "-" + std::to_string(getpid()));
  if (!consumer) return consumer.error();
  o.consumer = *consumer;
  auto delivery = string_attribute(spec, "delivery", "at-least-once");
  if (!delivery) return delivery.error();
  if (*delivery != "at-least-once" && *delivery != "at-most-once") {
    return Error{where + ".attributes.delivery: expected at-least-once or at-most-once, got '" + *delivery +
                 "'"};
  }
  o.at_least_once = *delivery == "at-least-once";
  auto in_flight = max_in_flight_attribute(spec);
  if (!in_flight) return in_flight.error();
  o.max_in_flight = *in_flight;
  auto idle = duration_attribute(attributes_of(spec), "claimIdle", std::chrono::seconds(30));
  if (!idle) return idle.error();
  o.claim_idle = *idle;
  auto max_body = max_body_attribute(spec);
  if (!max_body) return max_body.error();
  o.max_body_bytes = *max_body;
  auto ack = explicit_ack_attribute(spec);
  if (!ack) return ack.error();
  o.explicit_ack = *ack;
  auto password = secret_attribute(spec, "password");
  if (!password) return password.error();
  o.password = *password;
  return std::unique_ptr<Trigger>(std::make_unique<StreamTrigger>(spec, std::move(o)));
}

}  // namespace nimbus::engine::redis
