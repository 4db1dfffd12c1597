#pragma once
/// @file
/// Data bindings: named connections to data services, chosen in function.yaml.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nimbus/detail/binding_observer.hpp"
#include "nimbus/detail/json_string.hpp"
#include "nimbus/json.hpp"

namespace nimbus {

/// Raised by `Context` when a function asks for a binding that is not
/// configured, or that is of another kind.
class BindingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
/// Appends `keys` as a JSON array of strings: how a tape holds what a `list` answered.
void append_keys(const std::vector<std::string>& keys, std::string& out);
/// The keys a tape's JSON array holds (none when it is not an array).
std::vector<std::string> keys_of(const Json& j);
}  // namespace detail

/// Base of every data binding. A binding lives across invocations: a worker
/// opens it once. It gives one interface or several (a Redis gives key-value
/// and publish): each interface derives virtually from `Binding`.
class Binding {
 public:
  Binding() = default;
  Binding(const Binding&) = delete;
  Binding& operator=(const Binding&) = delete;
  virtual ~Binding() = default;
  /// The interfaces this binding gives, by name and comma-separated: "kv",
  /// "objects", "publish", "kv, publish".
  [[nodiscard]] virtual std::string_view interfaces() const noexcept = 0;
  /// True when `interface` is one of `interfaces()`.
  [[nodiscard]] bool provides(std::string_view interface) const noexcept;
  /// Its name in function.yaml (set when a context adopts it).
  [[nodiscard]] const std::string& binding_name() const noexcept { return name_; }

 protected:
  /// True when calls must go through `observed`; when false, an interface
  /// method may call its implementation directly (the fast path).
  [[nodiscard]] bool is_observed() const noexcept { return observer_ != nullptr; }

  /// The W3C `traceparent` of the event the adopting context is handling
  /// (empty: none), which a publish carries on.
  [[nodiscard]] std::string_view trace_parent() const noexcept {
    return trace_parent_ != nullptr ? std::string_view(*trace_parent_) : std::string_view();
  }

  /// Runs `call` (the implementation) as operation `operation` with
  /// `arguments` (a JSON object's text, see `JsonObjectText`), letting the
  /// observer answer it instead; `encode(result, out)` appends a result's JSON
  /// text, `decode` turns a JSON answer back into a result. Interface authors
  /// write each public method with it; implementations never see it.
  template <class Call, class Encode, class Decode>
  auto observed(std::string_view operation, std::string_view arguments, Call&& call, Encode&& encode,
                Decode&& decode) -> decltype(call()) {
    using R = decltype(call());
    const detail::BindingCall c{name_, operation, arguments};
    if (std::optional<Json> answer = observer_->answer(c)) {
      observer_->completed(c, answer->dump(-1, ' ', false, Json::error_handler_t::replace), nullptr);
      if constexpr (std::is_void_v<R>) {
        return;
      } else {
        return decode(*answer);
      }
    }
    try {
      if constexpr (std::is_void_v<R>) {
        call();
        observer_->completed(c, "null", nullptr);
        return;
      } else {
        R result = call();
        std::string text;
        encode(result, text);
        observer_->completed(c, text, nullptr);
        return result;
      }
    } catch (const std::exception& e) {
      const std::string what = e.what();
      observer_->completed(c, "null", &what);
      throw;
    }
  }

 private:
  friend class Context;  // names a binding it adopts, says who observes its calls and what the event's trace
                         // is
  void adopt(std::string name, detail::BindingObserver* observer, const std::string* trace_parent) {
    name_ = std::move(name);
    observer_ = observer;
    trace_parent_ = trace_parent;
  }
  void observe(detail::BindingObserver* observer) noexcept { observer_ = observer; }

  std::string name_;
  detail::BindingObserver* observer_ = nullptr;
  const std::string* trace_parent_ = nullptr;
};

/// A key-value store.
///
/// ```cpp
/// auto& seen = ctx.kv("seen");
/// seen.put("ada", "1", std::chrono::minutes(5));
/// if (auto v = seen.get("ada")) { ... }
/// for (const auto& key : seen.list("a")) { ... }
/// const std::int64_t visits = seen.increment("visits:ada");      // atomic, across workers too
/// if (seen.compare_and_set("lock", std::nullopt, "worker-1")) { ... }  // set only when absent
/// ```
///
/// A call the store cannot complete (the service is down, the value under an
/// `increment` is not an integer) throws `BindingError` naming the binding.
class KeyValueStore : public virtual Binding {
 public:
  /// "kv".
  [[nodiscard]] std::string_view interfaces() const noexcept override { return "kv"; }

  /// The value stored under `key`, if any (and not expired).
  std::optional<std::string> get(std::string_view key) {
    if (!is_observed()) return do_get(key);
    return observed(
        "get", detail::JsonObjectText().add("key", key).text(), [&] { return do_get(key); },
        [](const std::optional<std::string>& v, std::string& out) {
          if (v) {
            detail::append_json_string(out, *v);
          } else {
            out += "null";
          }
        },
        [](const Json& j) {
          return j.is_string() ? std::optional<std::string>(j.get<std::string>()) : std::nullopt;
        });
  }
  /// Stores `value` under `key`; with a `ttl`, the entry expires after it.
  void put(std::string_view key, std::string_view value,
           std::optional<std::chrono::milliseconds> ttl = std::nullopt) {
    if (!is_observed()) return do_put(key, value, ttl);
    detail::JsonObjectText args;
    args.add("key", key).add("value", value);
    if (ttl) args.add("ttl_ms", ttl->count());
    observed(
        "put", args.text(), [&] { do_put(key, value, ttl); }, [] {}, [](const Json&) {});
  }
  /// Deletes `key`; true when it existed.
  bool remove(std::string_view key) {
    if (!is_observed()) return do_remove(key);
    return observed(
        "remove", detail::JsonObjectText().add("key", key).text(), [&] { return do_remove(key); },
        [](bool existed, std::string& out) { out += existed ? "true" : "false"; },
        [](const Json& j) { return j.is_boolean() && j.get<bool>(); });
  }
  /// The keys that start with `prefix`, sorted.
  std::vector<std::string> list(std::string_view prefix = {}) {
    if (!is_observed()) return do_list(prefix);
    return observed(
        "list", detail::JsonObjectText().add("prefix", prefix).text(), [&] { return do_list(prefix); },
        detail::append_keys, detail::keys_of);
  }
  /// Adds `by` to the integer stored under `key` (none: 0) and returns the
  /// sum, in one atomic step; the entry keeps its expiry.
  std::int64_t increment(std::string_view key, std::int64_t by = 1) {
    if (!is_observed()) return do_increment(key, by);
    return observed(
        "increment", detail::JsonObjectText().add("key", key).add("by", by).text(),
        [&] { return do_increment(key, by); },
        [](std::int64_t n, std::string& out) { out += std::to_string(n); },
        [](const Json& j) { return j.is_number_integer() ? j.get<std::int64_t>() : std::int64_t{0}; });
  }
  /// Stores `value` under `key` only if its value now is `expected` (none:
  /// only if there is no entry), in one atomic step; true when it stored it.
  /// With a `ttl`, the new entry expires after it.
  bool compare_and_set(std::string_view key, std::optional<std::string_view> expected, std::string_view value,
                       std::optional<std::chrono::milliseconds> ttl = std::nullopt) {
    if (!is_observed()) return do_compare_and_set(key, expected, value, ttl);
    detail::JsonObjectText args;
    args.add("key", key).add("expected", expected).add("value", value);
    if (ttl) args.add("ttl_ms", ttl->count());
    return observed(
        "compare_and_set", args.text(), [&] { return do_compare_and_set(key, expected, value, ttl); },
        [](bool stored, std::string& out) { out += stored ? "true" : "false"; },
        [](const Json& j) { return j.is_boolean() && j.get<bool>(); });
  }

  /// The values stored under `keys`, in their order (none for a key without
  /// one): one round trip where the kind can (Redis: MGET), not one per key.
  std::vector<std::optional<std::string>> get_many(const std::vector<std::string>& keys);
  /// Stores every entry (key, value), each with `ttl` when given: one round
  /// trip where the kind can (Redis: pipelined SETs). Not atomic: after a
  /// failure some may be stored.
  void put_many(const std::vector<std::pair<std::string, std::string>>& entries,
                std::optional<std::chrono::milliseconds> ttl = std::nullopt);

 protected:
  /// A kind's own batch operations; by default one get or put after another.
  virtual std::vector<std::optional<std::string>> do_get_many(const std::vector<std::string>& keys);
  virtual void do_put_many(const std::vector<std::pair<std::string, std::string>>& entries,
                           std::optional<std::chrono::milliseconds> ttl);
  virtual std::optional<std::string> do_get(std::string_view key) = 0;
  virtual void do_put(std::string_view key, std::string_view value,
                      std::optional<std::chrono::milliseconds> ttl) = 0;
  virtual bool do_remove(std::string_view key) = 0;
  virtual std::vector<std::string> do_list(std::string_view prefix) = 0;
  virtual std::int64_t do_increment(std::string_view key, std::int64_t by) = 0;
  virtual bool do_compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                                  std::string_view value, std::optional<std::chrono::milliseconds> ttl) = 0;
};

/// A message's headers, in order; a name may repeat.
using MessageHeaders = std::vector<std::pair<std::string, std::string>>;

/// Publishes messages: to a NATS subject, a Kafka topic, a Redis stream.
///
/// ```cpp
/// ctx.publisher("out").publish("orders.created", order.dump(), {{"content-type", "application/json"}});
/// ```
///
/// When the event being handled brought a W3C `traceparent`, a message
/// without one of its own carries it on. A message the service does not take
/// throws `BindingError` naming the binding.
class Publisher : public virtual Binding {
 public:
  /// "publish".
  [[nodiscard]] std::string_view interfaces() const noexcept override { return "publish"; }

  /// Publishes `payload` with `headers` to `topic`; returns once the service has taken it.
  void publish(std::string_view topic, std::string_view payload, MessageHeaders headers = {}) {
    carry_trace_parent(headers);
    if (!is_observed()) return do_publish(topic, payload, headers);
    detail::JsonObjectText args;
    args.add("topic", topic).add("payload", payload).add_pairs("headers", headers);
    observed(
        "publish", args.text(), [&] { do_publish(topic, payload, headers); }, [] {}, [](const Json&) {});
  }

 protected:
  virtual void do_publish(std::string_view topic, std::string_view payload,
                          const MessageHeaders& headers) = 0;

 private:
  void carry_trace_parent(MessageHeaders& headers) const;
};

/// A message as a `MemoryPublisher` kept it.
struct PublishedMessage {
  std::string topic;
  std::string payload;
  MessageHeaders headers;
  bool operator==(const PublishedMessage&) const = default;
};

/// A publisher that keeps what it was given, in order, safe to share between
/// threads: the emulator's and the tests' stand-in for a real service.
class MemoryPublisher : public Publisher {
 public:
  /// Every message published so far.
  [[nodiscard]] std::vector<PublishedMessage> messages();

 protected:
  void do_publish(std::string_view topic, std::string_view payload, const MessageHeaders& headers) override;

 private:
  std::mutex mutex_;
  std::vector<PublishedMessage> messages_;
};

/// Receives an object's bytes in order, a piece at a time.
using ObjectSink = std::function<void(std::string_view piece)>;
/// Gives an object's bytes a piece at a time: fills `room` and returns how
/// many bytes it put there; 0 is the end.
using ObjectSource = std::function<std::size_t(std::span<char> room)>;

/// An object store: named blobs, whole or streamed.
///
/// ```cpp
/// auto& images = ctx.objects("images");
/// images.put("cats/1.png", png);
/// if (auto png = images.get("cats/1.png")) { ... }
/// images.read("films/big.mp4", [&](std::string_view piece) { out.write(piece); });  // never whole in memory
/// images.write("copies/big.mp4", [&](std::span<char> room) { return in.read(room); });
/// for (const auto& key : images.list("cats/")) { ... }
/// ```
///
/// Keys are `/`-separated paths. A call the store cannot complete throws
/// `BindingError` naming the binding. Recorded on a tape, an object is text
/// (`data`) when it is UTF-8, else base64 (`data_base64`); while recording, a
/// streamed object is held whole in memory.
class ObjectStore : public virtual Binding {
 public:
  /// "objects".
  [[nodiscard]] std::string_view interfaces() const noexcept override { return "objects"; }

  /// The object under `key`, whole; none when there is none.
  std::optional<std::string> get(std::string_view key);
  /// Stores `data` under `key`, replacing what was there.
  void put(std::string_view key, std::string_view data);
  /// Streams the object under `key` to `sink`; false when there is none.
  bool read(std::string_view key, const ObjectSink& sink);
  /// Stores what `source` gives, until it gives 0 bytes, under `key`; the old
  /// object stays whole until the new one is.
  void write(std::string_view key, const ObjectSource& source);
  /// Deletes the object under `key`; true when there was one.
  bool remove(std::string_view key);
  /// The keys that start with `prefix`, sorted.
  std::vector<std::string> list(std::string_view prefix = {});

 protected:
  virtual bool do_read_object(std::string_view key, const ObjectSink& sink) = 0;
  virtual void do_write_object(std::string_view key, const ObjectSource& source) = 0;
  virtual bool do_remove_object(std::string_view key) = 0;
  virtual std::vector<std::string> do_list_objects(std::string_view prefix) = 0;
};

/// An in-memory object store, safe to share between threads.
class MemoryObjectStore : public ObjectStore {
 public:
  MemoryObjectStore() = default;
  /// A store that starts with `objects`.
  explicit MemoryObjectStore(std::map<std::string, std::string, std::less<>> objects)
      : objects_(std::move(objects)) {}

 protected:
  bool do_read_object(std::string_view key, const ObjectSink& sink) override;
  void do_write_object(std::string_view key, const ObjectSource& source) override;
  bool do_remove_object(std::string_view key) override;
  std::vector<std::string> do_list_objects(std::string_view prefix) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> objects_;
};

/// An in-memory key-value store, safe to share between threads.
class MemoryKeyValueStore : public KeyValueStore {
 public:
  /// The clock used for expiry; replaceable in tests.
  using Clock = std::chrono::steady_clock;

  MemoryKeyValueStore() = default;
  /// A store that starts with `entries` (no expiry).
  explicit MemoryKeyValueStore(const std::map<std::string, std::string>& entries);

  /// The number of live entries.
  [[nodiscard]] std::size_t size();

 protected:
  std::optional<std::string> do_get(std::string_view key) override;
  void do_put(std::string_view key, std::string_view value,
              std::optional<std::chrono::milliseconds> ttl) override;
  bool do_remove(std::string_view key) override;
  std::vector<std::string> do_list(std::string_view prefix) override;
  std::int64_t do_increment(std::string_view key, std::int64_t by) override;
  bool do_compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                          std::string_view value, std::optional<std::chrono::milliseconds> ttl) override;

 private:
  struct Entry {
    std::string value;
    std::optional<Clock::time_point> expires;
  };
  bool expired(const Entry& e, Clock::time_point now) const noexcept {
    return e.expires && *e.expires <= now;
  }

  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

namespace detail {
/// `stored` (none: 0) plus `by`, as `increment` defines it for every store: a
/// `BindingError` naming `key` when `stored` is not a decimal 64-bit integer
/// or the sum overflows one.
std::int64_t incremented(std::string_view key, std::optional<std::string_view> stored, std::int64_t by);
}  // namespace detail

/// The bindings a function can reach, by name.
using BindingMap = std::map<std::string, std::shared_ptr<Binding>, std::less<>>;

}  // namespace nimbus
