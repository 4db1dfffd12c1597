// `redis`: the key-value and publish interfaces on a Redis server (hiredis, synchronous: a
// handler's call waits for its answer). One connection per worker, opened
// before the worker says it is ready, reused across invocations, opened again
// when the server dropped it. A publish is an XADD to the stream named by the topic, in the
// shape the redis-stream trigger reads: the payload in the entry's `body` field, each header
// a field of its own.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../util/redis_address.hpp"
#include "kinds.hpp"

namespace nimbus::engine::bindings {
namespace {

using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;

// GET, compare, SET in one step on the server; ARGV: has-expected (1/0), expected, value, ttl ms or "".
constexpr const char* kCompareAndSet = R"(
local v = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if v ~= ARGV[2] then return 0 end
elseif v then
  return 0
end
if ARGV[4] ~= '' then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) else redis.call('SET', KEYS[1], ARGV[3]) end
return 1
)";

// A SCAN pattern matching the keys that start with `prefix`: its glob characters escaped.
std::string prefix_pattern(std::string_view prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out + '*';
}

class RedisBinding final : public KeyValueStore, public Publisher {
 public:
  RedisBinding(std::string name, std::string url, RedisAddress address, std::string password,
               std::int64_t max_length)
      : name_(std::move(name)),
        url_(std::move(url)),
        a_(std::move(address)),
        password_(std::move(password)),
        max_length_(max_length) {}
  ~RedisBinding() override {
    if (c_ != nullptr) redisFree(c_);
  }
  RedisBinding(const RedisBinding&) = delete;
  RedisBinding& operator=(const RedisBinding&) = delete;

  [[nodiscard]] std::string_view interfaces() const noexcept override { return "kv, publish"; }

  // Connects (again); the error names the binding and the URL, never the password.
  Result<void> connect() {
    if (c_ != nullptr) redisFree(c_);
    c_ = redisConnectWithTimeout(a_.host.c_str(), a_.port, timeval{2, 0});
    if (c_ == nullptr) return Error{where() + ": out of memory"};
    if (c_->err != 0) return Error{where() + ": cannot connect: " + std::string(c_->errstr)};
    redisSetTimeout(c_, timeval{5, 0});
    if (!password_.empty()) {
      ReplyPtr r = send({"AUTH", password_});
      if (!r) return Error{where() + ": the connection closed during AUTH"};
      if (r->type == REDIS_REPLY_ERROR) return Error{where() + ": the server refused the password"};
    }
    if (a_.db != 0) {
      ReplyPtr r = send({"SELECT", std::to_string(a_.db)});
      if (!r || r->type == REDIS_REPLY_ERROR)
        return Error{where() + ": cannot select database " + std::to_string(a_.db)};
    }
    return {};
  }

 protected:
  std::optional<std::string> do_get(std::string_view key) override {
    ReplyPtr r = call({"GET", std::string(key)}, true);
    if (r->type == REDIS_REPLY_NIL) return std::nullopt;
    return text(r.get(), "get");
  }
  void do_put(std::string_view key, std::string_view value,
              std::optional<std::chrono::milliseconds> ttl) override {
    std::vector<std::string> words{"SET", std::string(key), std::string(value)};
    if (ttl) words.insert(words.end(), {"PX", std::to_string(std::max<std::int64_t>(ttl->count(), 1))});
    ReplyPtr r = call(words, true);  // the same SET twice is the same SET
    check(r.get(), "put");
  }
  bool do_remove(std::string_view key) override {
    ReplyPtr r = call({"DEL", std::string(key)}, false);
    return integer(r.get(), "remove") > 0;
  }
  std::vector<std::string> do_list(std::string_view prefix) override {
    std::vector<std::string> keys;
    const std::string pattern = prefix_pattern(prefix);
    std::string cursor = "0";
    do {
      ReplyPtr r = call({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"}, true);
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) fail("list", r.get());
      cursor = text(r->element[0], "list");
      const redisReply* batch = r->element[1];
      for (std::size_t i = 0; i < batch->elements; ++i) keys.push_back(text(batch->element[i], "list"));
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may return a key twice
    return keys;
  }
  std::int64_t do_increment(std::string_view key, std::int64_t by) override {
    ReplyPtr r = call({"INCRBY", std::string(key), std::to_string(by)}, false);
    if (r->type == REDIS_REPLY_ERROR) {
      throw BindingError(where() + ": increment of '" + std::string(key) +
                         "': its value is not an integer, or the sum overflows a 64-bit integer");
    }
    return integer(r.get(), "increment");
  }
  bool do_compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                          std::string_view value, std::optional<std::chrono::milliseconds> ttl) override {
    ReplyPtr r = call({"EVAL", kCompareAndSet, "1", std::string(key), expected ? "1" : "0",
                       std::string(expected.value_or("")), std::string(value),
                       ttl ? std::to_string(std::max<std::int64_t>(ttl->count(), 1)) : std::string()},
                      false);
    return integer(r.get(), "compare_and_set") == 1;
  }
  std::vector<std::optional<std::string>> do_get_many(const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> values;
    if (keys.empty()) return values;
    std::vector<std::string> words{"MGET"};
    words.insert(words.end(), keys.begin(), keys.end());
    ReplyPtr r = call(words, true);
    if (r->type != REDIS_REPLY_ARRAY || r->elements != keys.size()) fail("get_many", r.get());
    values.reserve(keys.size());
    for (std::size_t i = 0; i < r->elements; ++i) {
      const redisReply* v = r->element[i];
      values.push_back(v->type == REDIS_REPLY_NIL ? std::nullopt : std::optional(text(v, "get_many")));
    }
    return values;
  }
  void do_put_many(const std::vector<std::pair<std::string, std::string>>& entries,
                   std::optional<std::chrono::milliseconds> ttl) override {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(entries.size());
    for (const auto& [key, value] : entries) {
      commands.push_back({"SET", key, value});
      if (ttl)
        commands.back().insert(commands.back().end(),
                               {"PX", std::to_string(std::max<std::int64_t>(ttl->count(), 1))});
    }
    for (const ReplyPtr& r : pipeline(commands)) check(r.get(), "put_many");  // SETs: safe to send again
  }
  void do_publish(std::string_view topic, std::string_view payload, const MessageHeaders& headers) override {
    std::vector<std::string> words{"XADD", std::string(topic)};
    if (max_length_ > 0) words.insert(words.end(), {"MAXLEN", "~", std::to_string(max_length_)});
    words.insert(words.end(), {"*", "body", std::string(payload)});
    for (const auto& [header, value] : headers) {
      if (header == "body") {
        throw BindingError(where() + ": publish to '" + std::string(topic) +
                           "': a header may not be named 'body' (the stream entry's payload field)");
      }
      words.insert(words.end(), {header, value});
    }
    ReplyPtr r = call(words, false);  // sent twice, an XADD would be two entries
    check(r.get(), "publish");
  }

 private:
  [[nodiscard]] std::string where() const { return "binding '" + name_ + "' (redis, " + url_ + ")"; }

  // Sends one command on the connection as it is; null when the connection failed.
  ReplyPtr send(const std::vector<std::string>& words) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& w : words) {
      argv.push_back(w.data());
      lengths.push_back(w.size());
    }
    void* reply = redisCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lengths.data());
    return {static_cast<redisReply*>(reply), freeReplyObject};
  }

  // A command, with the connection opened again when the server dropped it. `idempotent`: sent
  // again on the new connection when the old one failed under it (a read, a SET); otherwise the
  // failure is the caller's (an INCRBY may or may not have happened).
  ReplyPtr call(const std::vector<std::string>& words, bool idempotent) {
    std::lock_guard lock(mutex_);
    const bool was_broken = c_ == nullptr || c_->err != 0;
    if (was_broken) {
      if (auto ok = connect(); !ok) throw BindingError(ok.error().message);
    }
    ReplyPtr r = send(words);
    if (r) return r;
    const std::string why = c_->errstr;
    if (idempotent && !was_broken) {
      if (auto ok = connect(); !ok) throw BindingError(ok.error().message);
      r = send(words);
      if (r) return r;
    }
    throw BindingError(where() + ": " + words.front() + " failed: " + why +
                       (idempotent ? "" : " (it may or may not have taken effect)"));
  }

  // Commands sent together and their replies read after (one round trip), with the connection
  // opened again and all of them sent again when it failed: for idempotent commands only.
  std::vector<ReplyPtr> pipeline(const std::vector<std::vector<std::string>>& commands) {
    std::lock_guard lock(mutex_);
    std::string why;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (c_ == nullptr || c_->err != 0) {
        if (auto ok = connect(); !ok) throw BindingError(ok.error().message);
      }
      std::vector<ReplyPtr> replies;
      bool sent = true;
      for (const auto& words : commands) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& w : words) {
          argv.push_back(w.data());
          lengths.push_back(w.size());
        }
        if (redisAppendCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
            REDIS_OK) {
          sent = false;
          break;
        }
      }
      for (std::size_t i = 0; sent && i < commands.size(); ++i) {
        void* reply = nullptr;
        if (redisGetReply(c_, &reply) != REDIS_OK) break;
        replies.emplace_back(static_cast<redisReply*>(reply), freeReplyObject);
      }
      if (replies.size() == commands.size()) return replies;
      why = c_->errstr;
      redisFree(c_);  // replies may be left unread on it: never reused
      c_ = nullptr;
    }
    throw BindingError(where() + ": " + std::to_string(commands.size()) +
                       " pipelined commands failed: " + why);
  }

  [[noreturn]] void fail(std::string_view operation, const redisReply* r) const {
    throw BindingError(where() + ": " + std::string(operation) + ": " +
                       (r != nullptr && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                                                     : std::string("unexpected reply")));
  }
  void check(const redisReply* r, std::string_view operation) const {
    if (r->type == REDIS_REPLY_ERROR) fail(operation, r);
  }
  std::string text(const redisReply* r, std::string_view operation) const {
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) fail(operation, r);
    return {r->str, r->len};
  }
  std::int64_t integer(const redisReply* r, std::string_view operation) const {
    if (r->type != REDIS_REPLY_INTEGER) fail(operation, r);
    return r->integer;
  }

  std::string name_;
  std::string url_;
  RedisAddress a_;
  std::string password_;     // never in a message
  std::int64_t max_length_;  // a published-to stream trimmed to about this many entries; 0: never
  std::mutex mutex_;         // one connection; a worker's threads share the binding
  redisContext* c_ = nullptr;
};

}  // namespace

Result<std::shared_ptr<Binding>> make_redis(const BindingSpec& spec) {
  const std::string field = "spec.dataBindings." + spec.name;
  const std::string url = spec.url.empty() ? "redis://127.0.0.1:6379" : spec.url;
  auto address = parse_redis_url(url, spec.origin + ": " + field + ".url", "secret");
  if (!address) return address.error();
  auto password = secret_value(spec.secret, spec.origin + ": " + field + ".secret");
  if (!password) return password.error();
  auto max_length = integer_attribute(attributes_of(spec), "maxLength", 0, 0, INT64_MAX);
  if (!max_length) return max_length.error();
  auto store =
      std::make_shared<RedisBinding>(spec.name, url, std::move(*address), std::move(*password), *max_length);
  if (auto ok = store->connect(); !ok) return Error{spec.origin + ": " + ok.error().message};
  return std::shared_ptr<Binding>(std::move(store));
}

}  // namespace nimbus::engine::bindings
