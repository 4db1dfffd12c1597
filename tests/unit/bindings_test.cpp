#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nimbus/bindings.hpp>
#include <nimbus/context.hpp>
#include <span>
#include <thread>

#include "nimbus/detail/context_access.hpp"

namespace {

using nimbus::MemoryKeyValueStore;

TEST(MemoryKeyValueStoreTest, PutGetRemove) {
  MemoryKeyValueStore kv;
  nimbus::KeyValueStore& store = kv;
  EXPECT_FALSE(store.get("a"));
  store.put("a", "1");
  store.put("a", "2");
  EXPECT_EQ(store.get("a"), "2");
  EXPECT_TRUE(store.remove("a"));
  EXPECT_FALSE(store.remove("a"));
  EXPECT_FALSE(store.get("a"));
}

TEST(MemoryKeyValueStoreTest, ListsByPrefixInOrder) {
  MemoryKeyValueStore kv({{"user:2", "b"}, {"user:1", "a"}, {"order:1", "x"}, {"user", "root"}});
  EXPECT_EQ(kv.list("user:"), (std::vector<std::string>{"user:1", "user:2"}));
  EXPECT_EQ(kv.list(), (std::vector<std::string>{"order:1", "user", "user:1", "user:2"}));
  EXPECT_TRUE(kv.list("zzz").empty());
}

TEST(MemoryKeyValueStoreTest, EntriesExpireAfterTheirTtl) {
  MemoryKeyValueStore kv;
  kv.put("short", "1", std::chrono::milliseconds(1));
  kv.put("long", "2", std::chrono::hours(1));
  kv.put("forever", "3");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(kv.get("short"));
  EXPECT_EQ(kv.get("long"), "2");
  EXPECT_EQ(kv.list(), (std::vector<std::string>{"forever", "long"}));
  EXPECT_EQ(kv.size(), 2U);
}

TEST(MemoryKeyValueStoreTest, IncrementsFromNothingKeepsTheExpiryAndRefusesWhatIsNotAnInteger) {
  MemoryKeyValueStore kv;
  EXPECT_EQ(kv.increment("n"), 1);
  EXPECT_EQ(kv.increment("n", 41), 42);
  EXPECT_EQ(kv.increment("n", -50), -8);
  EXPECT_EQ(kv.get("n"), "-8");
  kv.put("word", "ada");
  EXPECT_THROW(kv.increment("word"), nimbus::BindingError);
  EXPECT_EQ(kv.get("word"), "ada");  // untouched
  kv.put("big", std::to_string(INT64_MAX));
  EXPECT_THROW(kv.increment("big"), nimbus::BindingError);
  kv.put("soon", "5", std::chrono::milliseconds(20));
  EXPECT_EQ(kv.increment("soon"), 6);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_FALSE(kv.get("soon"));        // the increment kept the entry's expiry
  EXPECT_EQ(kv.increment("soon"), 1);  // and an expired entry counts as none
}

TEST(MemoryKeyValueStoreTest, CompareAndSetStoresOnlyOverTheExpectedValue) {
  MemoryKeyValueStore kv;
  EXPECT_FALSE(kv.compare_and_set("lock", "someone", "me"));  // nothing there to match
  EXPECT_TRUE(kv.compare_and_set("lock", std::nullopt, "me"));
  EXPECT_FALSE(kv.compare_and_set("lock", std::nullopt, "you"));  // no longer absent
  EXPECT_FALSE(kv.compare_and_set("lock", "you", "them"));
  EXPECT_TRUE(kv.compare_and_set("lock", "me", "you", std::chrono::milliseconds(20)));
  EXPECT_EQ(kv.get("lock"), "you");
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_TRUE(kv.compare_and_set("lock", std::nullopt, "again"));  // expired counts as absent
}

TEST(MemoryKeyValueStoreTest, IncrementsFromManyThreadsLoseNothing) {
  MemoryKeyValueStore kv;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&kv] {
      for (int i = 0; i < 1000; ++i) kv.increment("n");
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(kv.get("n"), "4000");
}

TEST(MemoryKeyValueStoreTest, SafeAcrossThreads) {
  MemoryKeyValueStore kv;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&kv, t] {
      for (int i = 0; i < 500; ++i) kv.put(std::to_string(t) + ":" + std::to_string(i), "v");
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(kv.size(), 2000U);
}

}  // namespace

namespace {

// Keeps every call; answers from `answers` when it has one for the operation.
class Observer : public nimbus::detail::BindingObserver {
 public:
  std::optional<nimbus::Json> answer(const nimbus::detail::BindingCall& call) override {
    auto it = answers.find(std::string(call.operation));
    if (it == answers.end()) return std::nullopt;
    return it->second;
  }
  void completed(const nimbus::detail::BindingCall& call, std::string_view result,
                 const std::string* error) override {
    seen.push_back({{"binding", call.binding},
                    {"operation", call.operation},
                    {"arguments", call.arguments_value()},
                    {"result", nimbus::Json::parse(result)},
                    {"error", error != nullptr ? nimbus::Json(*error) : nimbus::Json(nullptr)}});
  }
  std::map<std::string, nimbus::Json> answers;
  std::vector<nimbus::Json> seen;
};

// A store whose every operation fails.
class BrokenStore : public nimbus::KeyValueStore {
 protected:
  std::optional<std::string> do_get(std::string_view) override {
    throw std::runtime_error("connection refused");
  }
  void do_put(std::string_view, std::string_view, std::optional<std::chrono::milliseconds>) override {}
  bool do_remove(std::string_view) override { return false; }
  std::vector<std::string> do_list(std::string_view) override { return {}; }
  std::int64_t do_increment(std::string_view, std::int64_t) override { return 0; }
  bool do_compare_and_set(std::string_view, std::optional<std::string_view>, std::string_view,
                          std::optional<std::chrono::milliseconds>) override {
    return false;
  }
};

TEST(BindingObserverTest, SeesEveryCallWithItsArgumentsAndResult) {
  auto kv = std::make_shared<MemoryKeyValueStore>();
  nimbus::Context ctx(nimbus::Context::Options{"f", "1", 0, nimbus::Logger(), {{"seen", kv}}});
  Observer o;
  nimbus::detail::ContextAccess::observe_bindings(ctx, &o);
  auto& store = ctx.kv("seen");
  store.put("ada", "1", std::chrono::milliseconds(500));
  EXPECT_EQ(store.get("ada"), "1");
  EXPECT_FALSE(store.get("bo"));
  EXPECT_TRUE(store.remove("ada"));
  EXPECT_TRUE(store.list("a").empty());
  ASSERT_EQ(o.seen.size(), 5U);
  EXPECT_EQ(o.seen[0], (nimbus::Json{{"binding", "seen"},
                                     {"operation", "put"},
                                     {"arguments", {{"key", "ada"}, {"value", "1"}, {"ttl_ms", 500}}},
                                     {"result", nullptr},
                                     {"error", nullptr}}));
  EXPECT_EQ(o.seen[1]["result"], "1");
  EXPECT_EQ(o.seen[2]["result"], nullptr);
  EXPECT_EQ(o.seen[3]["result"], true);
  EXPECT_EQ(o.seen[4]["arguments"], (nimbus::Json{{"prefix", "a"}}));

  EXPECT_EQ(store.increment("n", 3), 3);
  EXPECT_TRUE(store.compare_and_set("lock", std::nullopt, "me"));
  ASSERT_EQ(o.seen.size(), 7U);
  EXPECT_EQ(o.seen[5]["arguments"], (nimbus::Json{{"key", "n"}, {"by", 3}}));
  EXPECT_EQ(o.seen[5]["result"], 3);
  EXPECT_EQ(o.seen[6]["arguments"], (nimbus::Json{{"key", "lock"}, {"expected", nullptr}, {"value", "me"}}));
  EXPECT_EQ(o.seen[6]["result"], true);

  nimbus::detail::ContextAccess::observe_bindings(ctx, nullptr);  // the fast path again: nothing is seen
  store.put("x", "y");
  EXPECT_EQ(o.seen.size(), 7U);
}

// Keeps the calls' texts as the observer receives them.
class TextObserver : public nimbus::detail::BindingObserver {
 public:
  std::optional<nimbus::Json> answer(const nimbus::detail::BindingCall& /*call*/) override {
    return std::nullopt;
  }
  void completed(const nimbus::detail::BindingCall& call, std::string_view result,
                 const std::string* /*error*/) override {
    seen.push_back(std::string(call.operation) + " " + std::string(call.arguments) + " -> " +
                   std::string(result));
  }
  std::vector<std::string> seen;
};

TEST(BindingObserverTest, CallsAreCompactJsonTextEscapedAsTapesWriteThem) {
  nimbus::Context ctx(nimbus::Context::Options{
      "f", "1", 0, nimbus::Logger(), {{"kv", std::make_shared<MemoryKeyValueStore>()}}});
  TextObserver o;
  nimbus::detail::ContextAccess::observe_bindings(ctx, &o);
  auto& store = ctx.kv("kv");
  store.put("a\"b", "line\nnext", std::chrono::milliseconds(250));
  store.put("c", "");
  (void)store.get("a\"b");
  (void)store.get("none");
  (void)store.list();
  (void)store.remove("c");
  (void)store.remove("c");
  EXPECT_EQ(o.seen, (std::vector<std::string>{
                        R"(put {"key":"a\"b","value":"line\nnext","ttl_ms":250} -> null)",
                        R"(put {"key":"c","value":""} -> null)",
                        R"(get {"key":"a\"b"} -> "line\nnext")",
                        R"(get {"key":"none"} -> null)",
                        R"(list {"prefix":""} -> ["a\"b","c"])",
                        R"(remove {"key":"c"} -> true)",
                        R"(remove {"key":"c"} -> false)",
                    }));
}

TEST(BindingObserverTest, AnAnswerReplacesTheBinding) {
  auto kv = std::make_shared<MemoryKeyValueStore>();
  nimbus::Context ctx(nimbus::Context::Options{"f", "1", 0, nimbus::Logger(), {}});
  Observer o;
  o.answers["get"] = "from the tape";
  o.answers["list"] = nimbus::Json::array({"k1", "k2"});
  o.answers["put"] = nullptr;
  o.answers["increment"] = 41;
  o.answers["compare_and_set"] = true;
  nimbus::detail::ContextAccess::observe_bindings(ctx, &o);
  nimbus::detail::ContextAccess::set_binding(ctx, "cache", kv);  // a binding added later is observed too
  auto& store = ctx.kv("cache");
  EXPECT_EQ(store.get("anything"), "from the tape");
  EXPECT_EQ(store.list(), (std::vector<std::string>{"k1", "k2"}));
  store.put("k", "v");
  EXPECT_EQ(store.increment("n"), 41);
  EXPECT_TRUE(store.compare_and_set("lock", "someone", "me"));  // the store holds no "lock": the tape says
  EXPECT_EQ(kv->size(), 0U) << "answered calls never reach the store";
  EXPECT_EQ(o.seen.size(), 5U);
}

TEST(BindingObserverTest, BatchCallsAreOneCallEachRecordedAndAnsweredWhole) {
  auto kv = std::make_shared<MemoryKeyValueStore>();
  nimbus::Context ctx(nimbus::Context::Options{"f", "1", 0, nimbus::Logger(), {{"kv", kv}}});
  TextObserver o;
  nimbus::detail::ContextAccess::observe_bindings(ctx, &o);
  auto& store = ctx.kv("kv");
  store.put_many({{"a", "1"}, {"b\"", "2"}}, std::chrono::milliseconds(5000));
  EXPECT_EQ(store.get_many({"b\"", "none", "a"}),
            (std::vector<std::optional<std::string>>{"2", std::nullopt, "1"}));
  EXPECT_TRUE(store.get_many({}).empty());
  EXPECT_EQ(o.seen, (std::vector<std::string>{
                        R"(put_many {"entries":[["a","1"],["b\"","2"]],"ttl_ms":5000} -> null)",
                        R"(get_many {"keys":["b\"","none","a"]} -> ["2",null,"1"])",
                        R"(get_many {"keys":[]} -> [])",
                    }));
  EXPECT_EQ(kv->get("a"), "1");  // through the store's own get and put

  Observer replay;
  replay.answers["get_many"] = nimbus::Json::array({"taped", nullptr});
  replay.answers["put_many"] = nullptr;
  nimbus::detail::ContextAccess::observe_bindings(ctx, &replay);
  EXPECT_EQ(store.get_many({"a", "b"}), (std::vector<std::optional<std::string>>{"taped", std::nullopt}));
  store.put_many({{"z", "9"}});
  EXPECT_FALSE(kv->get("z")) << "an answered put_many never reaches the store";
}

TEST(BindingObserverTest, ErrorsAreReportedAndStillThrown) {
  nimbus::Context ctx(
      nimbus::Context::Options{"f", "1", 0, nimbus::Logger(), {{"db", std::make_shared<BrokenStore>()}}});
  Observer o;
  nimbus::detail::ContextAccess::observe_bindings(ctx, &o);
  EXPECT_THROW((void)ctx.kv("db").get("k"), std::runtime_error);
  ASSERT_EQ(o.seen.size(), 1U);
  EXPECT_EQ(o.seen[0]["error"], "connection refused");
}

// A store of objects: whole, streamed in pieces, listed by prefix; streamed writes that fail
// leave the old object.
TEST(ObjectStoreTest, WholeStreamedListedAndRemoved) {
  nimbus::MemoryObjectStore store;
  EXPECT_FALSE(store.get("cats/1.png"));
  store.put("cats/1.png", std::string("\x89PNG\0\x01", 6));
  store.put("cats/2.png", "two");
  store.put("dogs/1.png", "dog");
  EXPECT_EQ(store.get("cats/1.png"), std::string("\x89PNG\0\x01", 6));
  EXPECT_EQ(store.list("cats/"), (std::vector<std::string>{"cats/1.png", "cats/2.png"}));
  EXPECT_EQ(store.list().size(), 3U);

  const std::string big(200 * 1024 + 7, 'x');  // more than one piece
  std::size_t at = 0;
  store.write("films/big", [&](std::span<char> room) {
    const std::size_t n = std::min(room.size(), big.size() - at);
    std::copy_n(big.data() + at, n, room.data());
    at += n;
    return n;
  });
  std::size_t pieces = 0;
  std::string back;
  EXPECT_TRUE(store.read("films/big", [&](std::string_view piece) {
    ++pieces;
    back += piece;
  }));
  EXPECT_EQ(back, big);
  EXPECT_GT(pieces, 1U) << "read hands the object over in pieces";
  EXPECT_FALSE(store.read("films/none", [](std::string_view) { FAIL() << "no object, no piece"; }));

  EXPECT_THROW(
      store.write("cats/1.png", [](std::span<char>) -> std::size_t { throw std::runtime_error("disk"); }),
      std::runtime_error);
  EXPECT_EQ(store.get("cats/1.png"), std::string("\x89PNG\0\x01", 6))
      << "a failed write keeps the old object";

  EXPECT_TRUE(store.remove("cats/2.png"));
  EXPECT_FALSE(store.remove("cats/2.png"));
  EXPECT_EQ(store.list("cats/"), (std::vector<std::string>{"cats/1.png"}));
}

// On a tape an object is text when it is UTF-8 and base64 when not, and read back from it the
// same bytes; a replayed object never reaches the store.
TEST(BindingObserverTest, ObjectsAreRecordedAsTextOrBase64AndAnsweredInReplay) {
  auto images = std::make_shared<nimbus::MemoryObjectStore>();
  nimbus::Context ctx(nimbus::Context::Options{"f", "1", 0, nimbus::Logger(), {{"images", images}}});
  TextObserver o;
  nimbus::detail::ContextAccess::observe_bindings(ctx, &o);
  auto& store = ctx.objects("images");
  store.put("a.txt", "héllo");
  store.put("b.bin", std::string("\xff\x00\x01", 3));
  (void)store.get("a.txt");
  (void)store.get("b.bin");
  (void)store.get("none");
  (void)store.list("a");
  (void)store.remove("a.txt");
  EXPECT_EQ(o.seen, (std::vector<std::string>{
                        R"(put_object {"key":"a.txt","data":"héllo"} -> null)",
                        R"(put_object {"key":"b.bin","data_base64":"/wAB"} -> null)",
                        R"(get_object {"key":"a.txt"} -> {"data":"héllo"})",
                        R"(get_object {"key":"b.bin"} -> {"data_base64":"/wAB"})",
                        R"(get_object {"key":"none"} -> null)",
                        R"(list_objects {"prefix":"a"} -> ["a.txt"])",
                        R"(remove_object {"key":"a.txt"} -> true)",
                    }));

  auto empty = std::make_shared<nimbus::MemoryObjectStore>();
  nimbus::Context replay(nimbus::Context::Options{"f", "1", 0, nimbus::Logger(), {}});
  Observer answers;
  answers.answers["get_object"] = nimbus::Json{{"data_base64", "/wAB"}};
  answers.answers["put_object"] = nullptr;
  answers.answers["list_objects"] = nimbus::Json::array({"k"});
  answers.answers["remove_object"] = true;
  nimbus::detail::ContextAccess::observe_bindings(replay, &answers);
  nimbus::detail::ContextAccess::set_binding(replay, "images", empty);
  auto& r = replay.objects("images");
  EXPECT_EQ(r.get("b.bin"), std::string("\xff\x00\x01", 3));
  r.put("c", "never stored");
  EXPECT_EQ(r.list(), (std::vector<std::string>{"k"}));
  EXPECT_TRUE(r.remove("k"));
  ASSERT_EQ(answers.seen.size(), 4U);
  EXPECT_EQ(answers.seen[1]["arguments"], (nimbus::Json{{"key", "c"}, {"data", "never stored"}}));
  nimbus::detail::ContextAccess::observe_bindings(replay, nullptr);
  EXPECT_TRUE(empty->list().empty()) << "answered calls never reach the store";
}

}  // namespace
