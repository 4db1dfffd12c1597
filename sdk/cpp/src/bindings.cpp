#include "nimbus/bindings.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>

#include "nimbus/detail/ascii.hpp"
#include "nimbus/detail/base64.hpp"
#include "nimbus/detail/utf8.hpp"

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

namespace {

constexpr std::size_t kPiece =
    std::size_t{64} * 1024;  // what a replayed or recorded object is handed over in

// An object's bytes as a tape holds them: `"data": text` when UTF-8, else `"data_base64": ...`.
void add_data(detail::JsonObjectText& out, std::string_view data) {
  if (detail::valid_utf8(data)) {
    out.add("data", data);
  } else {
    out.add("data_base64", std::string_view(detail::base64_encode(data)));
  }
}

// The bytes an object's recorded form holds; none when it holds neither form.
std::optional<std::string> data_of(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  if (auto it = j.find("data"); it != j.end() && it->is_string()) return it->get<std::string>();
  if (auto it = j.find("data_base64"); it != j.end() && it->is_string())
    return detail::base64_decode(it->get_ref<const std::string&>());
  return std::nullopt;
}

// Hands `data` to `sink` in pieces.
void pour(std::string_view data, const ObjectSink& sink) {
  for (std::size_t at = 0; at < data.size(); at += kPiece) sink(data.substr(at, kPiece));
}

// Everything `source` gives.
std::string drain(const ObjectSource& source) {
  std::string all;
  std::size_t got = 0;
  do {
    const std::size_t at = all.size();
    all.resize(at + kPiece);
    got = source(std::span<char>(all.data() + at, kPiece));
    all.resize(at + std::min(got, kPiece));
  } while (got > 0);
  return all;
}

// A source over bytes already in memory.
ObjectSource source_of(std::string_view data) {
  return [data, at = std::size_t{0}](std::span<char> room) mutable {
    const std::size_t n = std::min(room.size(), data.size() - at);
    std::copy_n(data.data() + at, n, room.data());
    at += n;
    return n;
  };
}

}  // namespace

std::optional<std::string> ObjectStore::get(std::string_view key) {
  std::string all;
  if (!read(key, [&](std::string_view piece) { all += piece; })) return std::nullopt;
  return all;
}

void ObjectStore::put(std::string_view key, std::string_view data) { write(key, source_of(data)); }

bool ObjectStore::read(std::string_view key, const ObjectSink& sink) {
  if (!is_observed()) return do_read_object(key, sink);
  std::optional<std::string> seen;  // the object as it streams past, for the tape
  return observed(
      "get_object", detail::JsonObjectText().add("key", key).text(),
      [&] {
        seen.emplace();
        const bool found = do_read_object(key, [&](std::string_view piece) {
          *seen += piece;
          sink(piece);
        });
        if (!found) seen.reset();
        return found;
      },
      [&](bool found, std::string& out) {
        if (!found || !seen) {
          out += "null";
          return;
        }
        detail::JsonObjectText data;
        add_data(data, *seen);
        out += data.text();
      },
      [&](const Json& j) {
        std::optional<std::string> data = data_of(j);
        if (data) pour(*data, sink);
        return data.has_value();
      });
}

void ObjectStore::write(std::string_view key, const ObjectSource& source) {
  if (!is_observed()) return do_write_object(key, source);
  const std::string data = drain(source);  // the tape holds the object itself
  detail::JsonObjectText args;
  args.add("key", key);
  add_data(args, data);
  observed(
      "put_object", args.text(), [&] { do_write_object(key, source_of(data)); }, [] {}, [](const Json&) {});
}

bool ObjectStore::remove(std::string_view key) {
  if (!is_observed()) return do_remove_object(key);
  return observed(
      "remove_object", detail::JsonObjectText().add("key", key).text(), [&] { return do_remove_object(key); },
      [](bool existed, std::string& out) { out += existed ? "true" : "false"; },
      [](const Json& j) { return j.is_boolean() && j.get<bool>(); });
}

std::vector<std::string> ObjectStore::list(std::string_view prefix) {
  if (!is_observed()) return do_list_objects(prefix);
  return observed(
      "list_objects", detail::JsonObjectText().add("prefix", prefix).text(),
      [&] { return do_list_objects(prefix); }, detail::append_keys, detail::keys_of);
}

bool MemoryObjectStore::do_read_object(std::string_view key, const ObjectSink& sink) {
  std::string copy;  // the sink runs without the lock: it may call the store
  {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return false;
    copy = it->second;
  }
  pour(copy, sink);
  return true;
}

void MemoryObjectStore::do_write_object(std::string_view key, const ObjectSource& source) {
  std::string data = drain(source);
  std::lock_guard lock(mutex_);
  objects_.insert_or_assign(std::string(key), std::move(data));
}

bool MemoryObjectStore::do_remove_object(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  objects_.erase(it);
  return true;
}

std::vector<std::string> MemoryObjectStore::do_list_objects(std::string_view prefix) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> keys;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix); ++it)
    keys.push_back(it->first);
  return keys;
}

std::vector<std::optional<std::string>> KeyValueStore::get_many(const std::vector<std::string>& keys) {
  if (!is_observed()) return do_get_many(keys);
  return observed(
      "get_many", detail::JsonObjectText().add_strings("keys", keys).text(),
      [&] { return do_get_many(keys); },
      [](const std::vector<std::optional<std::string>>& values, std::string& out) {
        out += '[';
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (i > 0) out += ',';
          if (values[i]) {
            detail::append_json_string(out, *values[i]);
          } else {
            out += "null";
          }
        }
        out += ']';
      },
      [](const Json& j) {
        std::vector<std::optional<std::string>> values;
        if (!j.is_array()) return values;
        for (const auto& v : j)
          values.push_back(v.is_string() ? std::optional(v.get<std::string>()) : std::nullopt);
        return values;
      });
}

void KeyValueStore::put_many(const std::vector<std::pair<std::string, std::string>>& entries,
                             std::optional<std::chrono::milliseconds> ttl) {
  if (!is_observed()) return do_put_many(entries, ttl);
  detail::JsonObjectText args;
  args.add_pairs("entries", entries);
  if (ttl) args.add("ttl_ms", ttl->count());
  observed(
      "put_many", args.text(), [&] { do_put_many(entries, ttl); }, [] {}, [](const Json&) {});
}

std::vector<std::optional<std::string>> KeyValueStore::do_get_many(const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> values;
  values.reserve(keys.size());
  for (const auto& k : keys) values.push_back(do_get(k));
  return values;
}

void KeyValueStore::do_put_many(const std::vector<std::pair<std::string, std::string>>& entries,
                                std::optional<std::chrono::milliseconds> ttl) {
  for (const auto& [k, v] : entries) do_put(k, v, ttl);
}

void detail::append_keys(const std::vector<std::string>& keys, std::string& out) {
  out += '[';
  for (const auto& k : keys) {
    if (out.back() != '[') out += ',';
    append_json_string(out, k);
  }
  out += ']';
}

std::vector<std::string> detail::keys_of(const Json& j) {
  return j.is_array() ? j.get<std::vector<std::string>>() : std::vector<std::string>();
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
