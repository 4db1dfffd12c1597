#pragma once
/// @file
/// `nimbus::testing::FakeContext`: a context that captures log records and
/// holds in-memory bindings, for calling a handler directly in a unit test.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/context.hpp"
#include "nimbus/detail/context_access.hpp"
#include "nimbus/event.hpp"

namespace nimbus::testing {

/// A sink that keeps every record.
class CapturingSink : public LogSink {
 public:
  void write(const LogRecord& record) override { records_.push_back(record); }
  [[nodiscard]] const std::vector<LogRecord>& records() const noexcept { return records_; }
  void clear() noexcept { records_.clear(); }

 private:
  std::vector<LogRecord> records_;
};

namespace detail {
struct SinkHolder {
  std::shared_ptr<CapturingSink> sink_ = std::make_shared<CapturingSink>();
};
}  // namespace detail

/// A `Context` for tests: logs at debug level into memory; bindings are added
/// by the test.
///
/// ```cpp
/// nimbus::testing::FakeContext ctx;
/// auto seen = ctx.add_memory_kv("seen");
/// auto response = greet(ctx, EventBuilder().header("X-Name", "Ada").build());
/// EXPECT_TRUE(ctx.logged(nimbus::LogLevel::kInfo, "greeting"));
/// EXPECT_EQ(seen->get("Ada"), "1");
/// ```
class FakeContext : private detail::SinkHolder, public Context {
 public:
  explicit FakeContext(std::string function_name = "test-function", int worker_id = 0)
      : Context(
            Options{std::move(function_name), "0", worker_id, Logger(sink_.get(), LogLevel::kDebug), {}}) {}

  /// What the host does before each event: the context's trigger and
  /// `trace_parent()` (which publishes carry on) become `event`'s, and its
  /// deadline `deadline`. A test of what depends on them calls it before the handler.
  void begin(const Event& event,
             std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) {
    nimbus::detail::ContextAccess::begin_event(*this, event.trigger_kind(), event.trigger_name(),
                                               event.trace_parent(), deadline);
  }

  /// Every record logged so far, in order.
  [[nodiscard]] const std::vector<LogRecord>& records() const noexcept { return sink_->records(); }
  /// Forgets the records logged so far.
  void clear_records() noexcept { sink_->clear(); }
  /// True when a record at `level` with exactly `message` was logged.
  [[nodiscard]] bool logged(LogLevel level, std::string_view message) const {
    return std::any_of(records().begin(), records().end(),
                       [&](const LogRecord& r) { return r.level == level && r.message == message; });
  }

  /// Adds (or replaces) the binding named `name`: a mock, a fixture of the test's own.
  void add_binding(std::string name, std::shared_ptr<Binding> binding) {
    nimbus::detail::ContextAccess::set_binding(*this, std::move(name), std::move(binding));
  }
  /// Adds an in-memory key-value store named `name` and returns it.
  std::shared_ptr<MemoryKeyValueStore> add_memory_kv(std::string name) {
    auto kv = std::make_shared<MemoryKeyValueStore>();
    add_binding(std::move(name), kv);
    return kv;
  }
  /// Adds a publisher named `name` that keeps what it is given (`messages()`) and returns it.
  std::shared_ptr<MemoryPublisher> add_memory_publisher(std::string name) {
    auto publisher = std::make_shared<MemoryPublisher>();
    add_binding(std::move(name), publisher);
    return publisher;
  }
  /// Adds an in-memory object store named `name` and returns it.
  std::shared_ptr<MemoryObjectStore> add_memory_objects(std::string name) {
    auto objects = std::make_shared<MemoryObjectStore>();
    add_binding(std::move(name), objects);
    return objects;
  }
};

}  // namespace nimbus::testing
