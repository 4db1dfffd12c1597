#include <gtest/gtest.h>

#include <nimbus/bindings.hpp>
#include <thread>

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
