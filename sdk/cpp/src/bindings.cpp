#include "nimbus/bindings.hpp"

namespace nimbus {

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

}  // namespace nimbus
