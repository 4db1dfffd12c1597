#pragma once
/// @file
/// GoogleMock mocks of every binding interface.

#include <gmock/gmock.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/bindings.hpp"

namespace nimbus::testing {

/// A mock key-value store. Expectations use the interface's own names:
///
/// ```cpp
/// auto kv = std::make_shared<nimbus::testing::MockKeyValueStore>();
/// EXPECT_CALL(*kv, get("ada")).WillOnce(testing::Return(std::optional<std::string>("1")));
/// ctx.add_binding("seen", kv);   // a FakeContext
/// ```
class MockKeyValueStore : public KeyValueStore {
 public:
  MOCK_METHOD(std::optional<std::string>, get, (std::string_view key));
  MOCK_METHOD(void, put,
              (std::string_view key, std::string_view value, std::optional<std::chrono::milliseconds> ttl));
  MOCK_METHOD(bool, remove, (std::string_view key));
  MOCK_METHOD(std::vector<std::string>, list, (std::string_view prefix));
  MOCK_METHOD(std::int64_t, increment, (std::string_view key, std::int64_t by));
  MOCK_METHOD(bool, compare_and_set,
              (std::string_view key, std::optional<std::string_view> expected, std::string_view value,
               std::optional<std::chrono::milliseconds> ttl));

 protected:
  std::optional<std::string> do_get(std::string_view key) override { return get(key); }
  void do_put(std::string_view key, std::string_view value,
              std::optional<std::chrono::milliseconds> ttl) override {
    put(key, value, ttl);
  }
  bool do_remove(std::string_view key) override { return remove(key); }
  std::vector<std::string> do_list(std::string_view prefix) override { return list(prefix); }
  std::int64_t do_increment(std::string_view key, std::int64_t by) override { return increment(key, by); }
  bool do_compare_and_set(std::string_view key, std::optional<std::string_view> expected,
                          std::string_view value, std::optional<std::chrono::milliseconds> ttl) override {
    return compare_and_set(key, expected, value, ttl);
  }
};

/// A mock publisher; what a handler published arrives at `publish` with the
/// event's traceparent already added to the headers:
///
/// ```cpp
/// auto out = std::make_shared<nimbus::testing::MockPublisher>();
/// EXPECT_CALL(*out, publish("orders", testing::HasSubstr("ada"), testing::_));
/// ctx.add_binding("out", out);
/// ```
class MockPublisher : public Publisher {
 public:
  MOCK_METHOD(void, publish,
              (std::string_view topic, std::string_view payload, const MessageHeaders& headers));

 protected:
  void do_publish(std::string_view topic, std::string_view payload, const MessageHeaders& headers) override {
    publish(topic, payload, headers);
  }
};

}  // namespace nimbus::testing
