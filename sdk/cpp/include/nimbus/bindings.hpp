#pragma once
/// @file
/// Data bindings: named connections to data services, chosen in function.yaml.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus {

/// Raised by `Context` when a function asks for a binding that is not
/// configured, or that is of another kind.
class BindingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
  std::optional<std::string> get(std::string_view key) { return do_get(key); }
  /// Stores `value` under `key`; with a `ttl`, the entry expires after it.
  void put(std::string_view key, std::string_view value,
           std::optional<std::chrono::milliseconds> ttl = std::nullopt) {
    do_put(key, value, ttl);
  }
  /// Deletes `key`; true when it existed.
  bool remove(std::string_view key) { return do_remove(key); }
  /// The keys that start with `prefix`, sorted.
  std::vector<std::string> list(std::string_view prefix = {}) { return do_list(prefix); }

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
