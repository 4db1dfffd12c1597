#pragma once
/// @file
/// Data bindings: named connections to data services, chosen in function.yaml.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nimbus/json.hpp"

namespace nimbus {

/// Raised by `Context` when a function asks for a binding that is not
/// configured, or that is of another kind.
class BindingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A binding call's arguments as a JSON object's compact text, written
/// member by member without a JSON value: `{"key":"ada","ttl_ms":500}`.
class JsonObjectText {
 public:
  JsonObjectText& add(std::string_view name, std::string_view value) {
    member(name);
    append_json_string(text_, value);
    return *this;
  }
  JsonObjectText& add(std::string_view name, std::int64_t value) {
    member(name);
    text_ += std::to_string(value);
    return *this;
  }
  /// The object's text (valid while this lives).
  [[nodiscard]] std::string_view text() {
    if (!closed_) {
      if (text_.empty()) text_ += '{';
      text_ += '}';
      closed_ = true;
    }
    return text_;
  }

 private:
  void member(std::string_view name) {
    text_ += text_.empty() ? '{' : ',';
    append_json_string(text_, name);
    text_ += ':';
  }
  std::string text_;
  bool closed_ = false;
};

/// One call a function made on a binding, as a recorder or a replayer sees it.
struct BindingCall {
  std::string_view binding;    ///< the binding's name in function.yaml
  std::string_view operation;  ///< "get", "put", "remove", "list", ...
  std::string_view arguments;  ///< a JSON object's compact text, e.g. {"key":"ada"}
  /// The arguments as a JSON value.
  [[nodiscard]] Json arguments_value() const { return Json::parse(arguments); }
};

/// Watches the calls a function makes on its bindings (the recorder) and may
/// answer them itself instead of the binding (the replayer). Every binding
/// interface reports its calls through `Binding::observed`, so a binding
/// added later is recorded and replayed with no work in the recorder or the
/// replayer. Set with `Context::observe_bindings`.
class BindingObserver {
 public:
  BindingObserver() = default;
  BindingObserver(const BindingObserver&) = delete;
  BindingObserver& operator=(const BindingObserver&) = delete;
  virtual ~BindingObserver() = default;
  /// Before the binding runs: a result to answer with instead of running it,
  /// or nothing to let it run. Throwing fails the call with that exception.
  virtual std::optional<Json> answer(const BindingCall& call) = 0;
  /// After the call: its result as compact JSON text ("null" for none), or,
  /// when `error` is not null, the message of the exception it failed with.
  /// Text, not JSON values: a recorder copies it as it is, for every call.
  virtual void completed(const BindingCall& call, std::string_view result_json, const std::string* error) = 0;
};

/// Base of every data binding. A binding lives across invocations: a worker
/// opens it once.
class Binding {
 public:
  Binding() = default;
  Binding(const Binding&) = delete;
  Binding& operator=(const Binding&) = delete;
  virtual ~Binding() = default;
  /// The interface this binding implements, e.g. "kv".
  [[nodiscard]] virtual std::string_view interface_name() const noexcept = 0;
  /// Its name in function.yaml (set when a context adopts it).
  [[nodiscard]] const std::string& binding_name() const noexcept { return name_; }
  /// Host use (through `Context`): names the binding and sets who observes
  /// its calls (null for nobody).
  void observe(std::string name, BindingObserver* observer) {
    name_ = std::move(name);
    observer_ = observer;
  }
  /// Host use: changes only who observes its calls (once per invocation, when recording).
  void observe(BindingObserver* observer) noexcept { observer_ = observer; }

 protected:
  /// True when calls must go through `observed`; when false, an interface
  /// method may call its implementation directly (the fast path).
  [[nodiscard]] bool is_observed() const noexcept { return observer_ != nullptr; }

  /// Runs `call` (the implementation) as operation `operation` with
  /// `arguments` (a JSON object's text, see `JsonObjectText`), letting the
  /// observer answer it instead; `encode(result, out)` appends a result's JSON
  /// text, `decode` turns a JSON answer back into a result. Interface authors
  /// write each public method with it; implementations never see it.
  template <class Call, class Encode, class Decode>
  auto observed(std::string_view operation, std::string_view arguments, Call&& call, Encode&& encode,
                Decode&& decode) -> decltype(call()) {
    using R = decltype(call());
    const BindingCall c{name_, operation, arguments};
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
  std::string name_;
  BindingObserver* observer_ = nullptr;
};

/// A key-value store.
///
/// ```cpp
/// auto& seen = ctx.kv("seen");
/// seen.put("ada", "1", std::chrono::minutes(5));
/// if (auto v = seen.get("ada")) { ... }
/// for (const auto& key : seen.list("a")) { ... }
/// ```
class KeyValueStore : public Binding {
 public:
  /// "kv".
  [[nodiscard]] std::string_view interface_name() const noexcept override { return "kv"; }

  /// The value stored under `key`, if any (and not expired).
  std::optional<std::string> get(std::string_view key) {
    if (!is_observed()) return do_get(key);
    return observed(
        "get", JsonObjectText().add("key", key).text(), [&] { return do_get(key); },
        [](const std::optional<std::string>& v, std::string& out) {
          if (v) {
            append_json_string(out, *v);
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
    JsonObjectText args;
    args.add("key", key).add("value", value);
    if (ttl) args.add("ttl_ms", ttl->count());
    observed(
        "put", args.text(), [&] { do_put(key, value, ttl); }, [] {}, [](const Json&) {});
  }
  /// Deletes `key`; true when it existed.
  bool remove(std::string_view key) {
    if (!is_observed()) return do_remove(key);
    return observed(
        "remove", JsonObjectText().add("key", key).text(), [&] { return do_remove(key); },
        [](bool existed, std::string& out) { out += existed ? "true" : "false"; },
        [](const Json& j) { return j.is_boolean() && j.get<bool>(); });
  }
  /// The keys that start with `prefix`, sorted.
  std::vector<std::string> list(std::string_view prefix = {}) {
    if (!is_observed()) return do_list(prefix);
    return observed(
        "list", JsonObjectText().add("prefix", prefix).text(), [&] { return do_list(prefix); },
        [](const std::vector<std::string>& keys, std::string& out) {
          out += '[';
          for (const auto& k : keys) {
            if (out.back() != '[') out += ',';
            append_json_string(out, k);
          }
          out += ']';
        },
        [](const Json& j) {
          return j.is_array() ? j.get<std::vector<std::string>>() : std::vector<std::string>();
        });
  }

 protected:
  virtual std::optional<std::string> do_get(std::string_view key) = 0;
  virtual void do_put(std::string_view key, std::string_view value,
                      std::optional<std::chrono::milliseconds> ttl) = 0;
  virtual bool do_remove(std::string_view key) = 0;
  virtual std::vector<std::string> do_list(std::string_view prefix) = 0;
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

/// The bindings a function can reach, by name.
using BindingMap = std::map<std::string, std::shared_ptr<Binding>, std::less<>>;

}  // namespace nimbus
