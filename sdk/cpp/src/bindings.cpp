#include "nimbus/bindings.hpp"

#include <charconv>
#include <cstdint>
#include <system_error>

#include "nimbus/detail/ascii.hpp"

namespace nimbus {

bool Binding::provides(std::string_view interface) const noexcept {
  std::string_view list = interfaces();
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view one = list.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    if (one == interface) return true;
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return false;
}

void Publisher::carry_trace_parent(MessageHeaders& headers) const {
  const std::string_view trace = trace_parent();
  if (trace.empty()) return;
  for (const auto& [k, v] : headers) {
    if (detail::iequals(k, "traceparent")) return;  // the function's own
  }
  headers.emplace_back("traceparent", trace);
}

std::vector<PublishedMessage> MemoryPublisher::messages() {
  std::lock_guard lock(mutex_);
  return messages_;
}

void MemoryPublisher::do_publish(std::string_view topic, std::string_view payload,
                                 const MessageHeaders& headers) {
  std::lock_guard lock(mutex_);
  messages_.push_back(PublishedMessage{std::string(topic), std::string(payload), headers});
}

std::int64_t detail::incremented(std::string_view key, std::optional<std::string_view> stored,
                                 std::int64_t by) {
  std::int64_t n = 0;
  if (stored) {
    const auto* end = stored->data() + stored->size();
    auto [at, ec] = std::from_chars(stored->data(), end, n);
    if (ec != std::errc() || at != end || stored->empty()) {
      throw BindingError("increment of '" + std::string(key) + "': its value is not an integer");
    }
  }
  if ((by > 0 && n > INT64_MAX - by) || (by < 0 && n < INT64_MIN - by)) {
    throw BindingError("increment of '" + std::string(key) + "': the sum overflows a 64-bit integer");
  }
  return n + by;
}

MemoryKeyValueStore::MemoryKeyValueStore(const std::map<std::string, std::string>& entries) {
  for (const auto& [k, v] : entries) entries_.emplace(k, Entry{v, std::nullopt});
}

std::size_t MemoryKeyValueStore::size() {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  std::size_t n = 0;
  for (const auto& [k, e] : entries_) n += expired(e, now) ? 0 : 1;
  return n;
}

std::optional<std::string> MemoryKeyValueStore::do_get(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (expired(it->second, Clock::now())) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void MemoryKeyValueStore::do_put(std::string_view key, std::string_view value,
                                 std::optional<std::chrono::milliseconds> ttl) {
  std::lock_guard lock(mutex_);
  Entry e{std::string(value), std::nullopt};
  if (ttl) e.expires = Clock::now() + *ttl;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), std::move(e));
  } else {
    it->second = std::move(e);
  }
}

bool MemoryKeyValueStore::do_remove(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  bool live = !expired(it->second, Clock::now());
  entries_.erase(it);
  return live;
}

std::vector<std::string> MemoryKeyValueStore::do_list(std::string_view prefix) {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  std::vector<std::string> keys;
  for (auto it = entries_.lower_bound(prefix); it != entries_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (!expired(it->second, now)) keys.push_back(it->first);
  }
  return keys;
}

std::int64_t MemoryKeyValueStore::do_increment(std::string_view key, std::int64_t by) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && expired(it->second, Clock::now())) {
    entries_.erase(it);
    it = entries_.end();
  }
  const std::int64_t n = detail::incremented(
      key, it == entries_.end() ? std::nullopt : std::optional<std::string_view>(it->second.value), by);
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), Entry{std::to_string(n), std::nullopt});
  } else {
    it->second.value = std::to_string(n);  // the expiry stays
  }
  return n;
}

bool MemoryKeyValueStore::do_compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                                             std::string_view value,
                                             std::optional<std::chrono::milliseconds> ttl) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  auto it = entries_.find(key);
  const bool present = it != entries_.end() && !expired(it->second, now);
  if (expected ? !present || it->second.value != *expected : present) return false;
  Entry e{std::string(value), std::nullopt};
  if (ttl) e.expires = now + *ttl;
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), std::move(e));
  } else {
    it->second = std::move(e);
  }
  return true;
}

}  // namespace nimbus
