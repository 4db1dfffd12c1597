#include "nats_trigger.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine::nats {
namespace {

NatsTrigger* of(void* closure) { return static_cast<NatsTrigger*>(closure); }

// cnats's callbacks, on its threads: they only post to the loop.
void on_message(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
  of(closure)->post_message(msg);
}
void on_connected(natsConnection* /*nc*/, void* closure) {
  of(closure)->set_connected(true);
  of(closure)->post_news("connected", false);
}
void on_disconnected(natsConnection* /*nc*/, void* closure) {
  of(closure)->set_connected(false);
  of(closure)->post_news("disconnected; reconnecting", true);
}
void on_async_error(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsStatus err, void* closure) {
  if (err == NATS_SLOW_CONSUMER) of(closure)->dropping();
}
void on_closed(natsConnection* /*nc*/, void* closure) { of(closure)->closed(); }
void on_reconnected(natsConnection* /*nc*/, void* closure) {
  of(closure)->set_connected(true);
  of(closure)->post_news("reconnected", false);
}

}  // namespace

NatsTrigger::NatsTrigger(TriggerSpec spec, NatsOptions options)
    : Trigger(std::move(spec)), o_(std::move(options)) {
  mailbox_ = std::make_unique<Mailbox<Item>>(static_cast<std::size_t>(o_.max_in_flight), [this] { pump(); });
}

NatsTrigger::~NatsTrigger() {
  mailbox_->close();  // cnats's thread, if it waits for room, goes on (and drops)
  if (subscription_ != nullptr) {
    natsSubscription_Unsubscribe(subscription_);
    natsSubscription_Destroy(subscription_);
  }
  if (connection_ != nullptr) {
    natsConnection_Close(connection_);
    // cnats runs a connection's callbacks on a thread of its own, after Close returned (its
    // "disconnected" among them): the closed callback comes last, so once it came no callback
    // can reach this trigger after it is gone (bounded: a wedged cnats does not hold the stop).
    std::unique_lock lock(closed_mutex_);
    closed_signal_.wait_for(lock, std::chrono::seconds(5), [this] { return closed_; });
    lock.unlock();
    natsConnection_Destroy(connection_);
  }
  for (auto& item : mailbox_->take(SIZE_MAX)) natsMsg_Destroy(item.message);
}

void NatsTrigger::closed() {
  {
    std::lock_guard lock(closed_mutex_);
    closed_ = true;
  }
  closed_signal_.notify_all();
}

void NatsTrigger::post_news(std::string news, bool warning) {
  Item item;
  item.news = "nats trigger '" + spec().name + "': " + o_.server.url + ": " + std::move(news);
  item.warning = warning;
  mailbox_->post(std::move(item));
}

void NatsTrigger::dropping() {
  // cnats says so for every message it drops: told at most once a minute.
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = said_dropping_.load();
  if (last != 0 && now - last < std::chrono::nanoseconds(std::chrono::minutes(1)).count()) return;
  if (!said_dropping_.compare_exchange_strong(last, now)) return;
  post_news(
      "dropping messages: the workers are behind and the subscription's pending limits are reached "
      "(pendingMessages " +
          std::to_string(o_.pending_messages) + ", pendingBytes " + std::to_string(o_.pending_bytes) +
          "); NATS core does not deliver them again",
      true);
}

void NatsTrigger::post_message(natsMsg* message) {
  Item item;
  item.message = message;
  if (!mailbox_->post(std::move(item))) natsMsg_Destroy(message);  // stopping: at most once, as NATS is
}

Result<void> NatsTrigger::open(EventLoop& loop) noexcept {
  try {
    loop_ = &loop;
    if (auto ok = mailbox_->open(loop); !ok)
      return Error{"nats trigger '" + spec().name + "': " + ok.error().message};
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK)
      return Error{"nats trigger '" + spec().name + "': out of memory"};
    std::unique_ptr<natsOptions, void (*)(natsOptions*)> owned(opts, natsOptions_Destroy);
    natsOptions_SetName(opts, ("nimbus " + spec().name).c_str());
    natsOptions_SetMaxReconnect(opts, -1);  // forever
    natsOptions_SetReconnectWait(opts, 1000);
    natsOptions_SetDisconnectedCB(opts, on_disconnected, this);
    natsOptions_SetReconnectedCB(opts, on_reconnected, this);
    natsOptions_SetClosedCB(opts, on_closed, this);
    natsOptions_SetErrorHandler(opts, on_async_error, this);
    if (auto ok = configure(opts, o_.server, "spec.triggers." + spec().name + ".attributes"); !ok)
      return Error{"nats trigger '" + spec().name + "': " + ok.error().message};
    // A first attempt on its own: a server that refused the credentials or the TLS handshake is
    // an error at the start, naming why (cnats's retrying connect would only say "not yet").
    natsStatus s = natsConnection_Connect(&connection_, opts);
    if (s == NATS_OK) {
      connected_.store(true);
      return {};
    }
    if (s != NATS_NO_SERVER)
      return Error{"nats trigger '" + spec().name + "': " + o_.server.url + ": " + status_text(s)};
    const std::string why = status_text(s);
    natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, this);  // nothing listens yet: retried
    s = natsConnection_Connect(&connection_, opts);
    if (s == NATS_OK) {
      connected_.store(true);
    } else if (s == NATS_NOT_YET_CONNECTED) {
      post_news("cannot connect yet (" + why + "); retrying every second", true);
    } else {
      return Error{"nats trigger '" + spec().name + "': " + o_.server.url + ": " + status_text(s)};
    }
    return {};
  } catch (const std::exception& e) {
    return Error{"nats trigger '" + spec().name + "': " + e.what()};
  }
}

void NatsTrigger::on_start() {
  // Subscribing once the workers are up: nothing arrives before there is someone to run it.
  const natsStatus s =
      o_.queue.empty()
          ? natsConnection_Subscribe(&subscription_, connection_, o_.topic.c_str(), on_message, this)
          : natsConnection_QueueSubscribe(&subscription_, connection_, o_.topic.c_str(), o_.queue.c_str(),
                                          on_message, this);
  if (s == NATS_OK) {
    natsSubscription_SetPendingLimits(subscription_, o_.pending_messages, static_cast<int>(o_.pending_bytes));
  }
  if (s != NATS_OK) {
    notice("nats trigger '" + spec().name + "': subscribing to " + o_.topic + ": " + status_text(s));
  } else if (connected_.load()) {
    // The server has the subscription before anyone is told we are ready (a round trip), so a
    // message published after the ready line is ours.
    natsConnection_FlushTimeout(connection_, 5000);
  }
  pump();
}

void NatsTrigger::pump() {
  if (!started()) return;
  const int room = draining_ ? 1 << 20 : o_.max_in_flight - in_flight_;
  if (room <= 0) return;
  // natsMsg_Destroy gives a message to cnats's garbage-collector thread and wakes that thread
  // when it sleeps: destroyed one by one, nearly every message cost a wake-up, and the woken
  // thread often took the loop's core (bench/streams: a quarter of the loop thread's time).
  // Destroyed together after the batch (each was copied into its event), the first wakes it
  // and the others join its list.
  struct Destroy {
    std::vector<natsMsg*>& messages;
    ~Destroy() {
      for (natsMsg* m : messages) natsMsg_Destroy(m);
      messages.clear();
    }
  } destroy{handled_};
  for (auto& item : mailbox_->take(static_cast<std::size_t>(room))) {
    if (item.message == nullptr) {
      notice(item.news, item.warning);
      continue;
    }
    handled_.push_back(item.message);
    if (!draining_) handle(item.message);  // after the stop, dropped: at most once
  }
}

void NatsTrigger::handle(natsMsg* message) {
  const std::string_view subject = natsMsg_GetSubject(message);
  const int length = natsMsg_GetDataLength(message);
  if (static_cast<std::size_t>(length) > o_.max_body_bytes) {
    notice("nats trigger '" + spec().name + "': a message on " + std::string(subject) + " of " +
           std::to_string(length) + " bytes is over the " + std::to_string(o_.max_body_bytes) +
           "-byte limit: dropped");
    return;
  }
  // Encoded straight from the message (views into cnats's buffers) into a buffer kept across messages.
  detail::EventParts e;
  ids_.next_into(id_);
  e.id = id_;
  e.trigger_kind = "nats";
  e.trigger_name = spec().name;
  e.topic = subject;
  e.path = subject;
  e.has_stream = true;
  e.timestamp = std::chrono::system_clock::now();
  e.body = {natsMsg_GetData(message), static_cast<std::size_t>(length)};
  headers_.clear();
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(message, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* value = nullptr;
      if (natsMsgHeader_Get(message, keys[i], &value) == NATS_OK && value != nullptr) {
        headers_.emplace_back(keys[i], value);
        if (format::iequals(keys[i], "Content-Type")) e.content_type = value;
      }
    }
  }
  e.headers = headers_;
  const Event event = e.encode_into(encoded_);
  free(static_cast<void*>(keys));  // NOLINT(cppcoreguidelines-no-malloc): cnats allocates the array
  ++in_flight_;
  const auto taken = loop_->now();
  const char* reply = natsMsg_GetReply(message);
  if (reply == nullptr || *reply == '\0') {
    submit(event, subject, [this, taken](const Response& r) {  // two words: no allocation of its own
      --in_flight_;
      stats().record(r.status(), loop_->now() - taken);
    });
    return;
  }
  submit(event, subject, [this, reply_to = std::string(reply), taken](const Response& r) {
    --in_flight_;
    stats().record(r.status(), loop_->now() - taken);
    if (connection_ != nullptr) {  // a request: the response's body is the reply
      natsConnection_Publish(connection_, reply_to.c_str(), r.body().data(),
                             static_cast<int>(r.body().size()));
    }
  });
}

void NatsTrigger::drain() {
  draining_ = true;
  if (subscription_ != nullptr) natsSubscription_Unsubscribe(subscription_);
  pump();  // what was queued is dropped now
}

Json NatsTrigger::describe() const {
  Json out{{"url", o_.server.url}, {"topic", o_.topic}};
  if (!o_.queue.empty()) out["queueName"] = o_.queue;
  return out;
}

Result<std::unique_ptr<Trigger>> make_nats_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& /*environment*/) {
  const std::string where = "spec.triggers." + spec.name;
  NatsOptions o;
  auto server = server_attributes(attributes_of(spec), spec.url, where + ".url");
  if (!server) return server.error();
  o.server = std::move(*server);
  auto topic = string_attribute(spec, "topic", "");
  if (!topic) return topic.error();
  if (topic->empty()) return Error{where + ".attributes.topic: missing (the subject to subscribe to)"};
  o.topic = *topic;
  auto queue = string_attribute(spec, "queueName", "");
  if (!queue) return queue.error();
  o.queue = *queue;
  auto in_flight = max_in_flight_attribute(spec);
  if (!in_flight) return in_flight.error();
  o.max_in_flight = *in_flight;
  auto max_body = max_body_attribute(spec);
  if (!max_body) return max_body.error();
  o.max_body_bytes = *max_body;
  auto pending = integer_attribute(spec, "pendingMessages", 65536, 1, 100'000'000);
  if (!pending) return pending.error();
  o.pending_messages = static_cast<int>(*pending);
  auto pending_bytes = integer_attribute(spec, "pendingBytes", 64LL << 20, 1 << 10, INT32_MAX);
  if (!pending_bytes) return pending_bytes.error();
  o.pending_bytes = *pending_bytes;
  return std::unique_ptr<Trigger>(std::make_unique<NatsTrigger>(spec, std::move(o)));
}

}  // namespace nimbus::engine::nats
