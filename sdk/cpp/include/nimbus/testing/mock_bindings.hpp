#pragma once
/// @file
/// GoogleMock mocks of every binding interface.

#include <gmock/gmock.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
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
/// (`get_many` and `put_many` come to `get` and `put` here, a key at a time.)
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

/// A mock object store. Expectations are on whole objects, whether the
/// handler streamed them (`read`, `write`) or not:
///
/// ```cpp
/// auto images = std::make_shared<nimbus::testing::MockObjectStore>();
/// EXPECT_CALL(*images, get("cats/1.png")).WillOnce(testing::Return(std::optional<std::string>(png)));
/// EXPECT_CALL(*images, put("thumbs/1.png", testing::_));
/// ctx.add_binding("images", images);
/// ```
class MockObjectStore : public ObjectStore {
 public:
  MOCK_METHOD(std::optional<std::string>, get, (std::string_view key));
  MOCK_METHOD(void, put, (std::string_view key, std::string_view data));
  MOCK_METHOD(bool, remove, (std::string_view key));
  MOCK_METHOD(std::vector<std::string>, list, (std::string_view prefix));

 protected:
  bool do_read_object(std::string_view key, const ObjectSink& sink) override {
    std::optional<std::string> data = get(key);
    if (data) sink(*data);
    return data.has_value();
  }
  void do_write_object(std::string_view key, const ObjectSource& source) override {
    std::string data;
    std::string piece(std::size_t{64} * 1024, '\0');
    for (std::size_t got = 0; (got = source(std::span<char>(piece))) > 0;) data.append(piece, 0, got);
    put(key, data);
  }
  bool do_remove_object(std::string_view key) override { return remove(key); }
  std::vector<std::string> do_list_objects(std::string_view prefix) override { return list(prefix); }
};

}  // namespace nimbus::testing
