#include <gtest/gtest.h>

#include <nimbus/context.hpp>
#include <nimbus/testing/event_builder.hpp>
#include <nimbus/testing/fake_context.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nimbus/detail/context_access.hpp"

namespace {

using nimbus::testing::FakeContext;

TEST(ContextTest, IdentityAndTrigger) {
  FakeContext ctx("greeter", 3);
  EXPECT_EQ(ctx.function_name(), "greeter");
  EXPECT_EQ(ctx.worker_id(), 3);
  nimbus::detail::ContextAccess::begin_event(ctx, "http", "web", "",
                                             std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(ctx.trigger().kind, "http");
  EXPECT_EQ(ctx.trigger().name, "web");
}

TEST(ContextTest, RemainingTimeCountsDownToZero) {
  FakeContext ctx;
  nimbus::detail::ContextAccess::begin_event(ctx, "http", "web", "",
                                             std::chrono::steady_clock::now() + std::chrono::seconds(10));
  EXPECT_GT(ctx.remaining().count(), 5000);
  EXPECT_LE(ctx.remaining().count(), 10000);
  nimbus::detail::ContextAccess::begin_event(ctx, "http", "web", "",
                                             std::chrono::steady_clock::now() - std::chrono::seconds(1));
  EXPECT_EQ(ctx.remaining().count(), 0);
}

TEST(ContextTest, UserDataIsTyped) {
  struct Model {
    int weights;
  };
  FakeContext ctx;
  EXPECT_EQ(ctx.user_data<Model>(), nullptr);
  ctx.user_data() = Model{7};
  ASSERT_NE(ctx.user_data<Model>(), nullptr);
  EXPECT_EQ(ctx.user_data<Model>()->weights, 7);
  EXPECT_EQ(ctx.user_data<int>(), nullptr);
}

TEST(ContextTest, NamedBindings) {
  FakeContext ctx;
  auto seen = ctx.add_memory_kv("seen");
  ctx.kv("seen").put("a", "1");
  EXPECT_EQ(seen->get("a"), "1");
  EXPECT_EQ(ctx.binding("seen"), seen.get());
  EXPECT_EQ(ctx.binding("other"), nullptr);
}

TEST(ContextTest, MissingBindingNamesWhatExists) {
  FakeContext ctx;
  ctx.add_memory_kv("seen");
  try {
    (void)ctx.kv("cache");
    FAIL() << "expected BindingError";
  } catch (const nimbus::BindingError& e) {
    EXPECT_STREQ(e.what(), "no data binding named 'cache' (configured: seen)");
  }
}

TEST(ContextTest, WrongKindOfBinding) {
  struct Queue : nimbus::Binding {
    std::string_view interfaces() const noexcept override { return "queue"; }
  };
  FakeContext ctx;
  ctx.add_binding("jobs", std::make_shared<Queue>());
  try {
    (void)ctx.kv("jobs");
    FAIL() << "expected BindingError";
  } catch (const nimbus::BindingError& e) {
    EXPECT_STREQ(e.what(), "data binding 'jobs' gives queue, not a key-value store (kv)");
  }
  EXPECT_THROW((void)ctx.publisher("jobs"), nimbus::BindingError);
  try {
    (void)ctx.objects("jobs");
    FAIL() << "expected BindingError";
  } catch (const nimbus::BindingError& e) {
    EXPECT_STREQ(e.what(), "data binding 'jobs' gives queue, not an object store (objects)");
  }
}

// A binding of several interfaces (a Redis: key-value and publish) is each of them; one whose
// kind leaves an interface out (the emulator's stand-in for a kind that has no publish) is not.
TEST(ContextTest, ABindingGivesTheInterfacesItSays) {
  struct KvAndPublish : nimbus::MemoryKeyValueStore, nimbus::MemoryPublisher {
    explicit KvAndPublish(std::string_view says) : says_(says) {}
    std::string_view interfaces() const noexcept override { return says_; }
    std::string_view says_;
  };
  FakeContext ctx;
  ctx.add_binding("both", std::make_shared<KvAndPublish>("kv, publish"));
  ctx.add_binding("kv_only", std::make_shared<KvAndPublish>("kv"));
  ctx.kv("both").put("a", "1");
  ctx.publisher("both").publish("t", "x");
  EXPECT_EQ(ctx.kv("both").get("a"), "1");
  EXPECT_EQ(dynamic_cast<nimbus::MemoryPublisher&>(ctx.publisher("both")).messages().size(), 1U);
  (void)ctx.kv("kv_only");
  try {
    (void)ctx.publisher("kv_only");
    FAIL() << "expected BindingError";
  } catch (const nimbus::BindingError& e) {
    EXPECT_STREQ(e.what(), "data binding 'kv_only' gives kv, not a publisher (publish)");
  }
}

// The event's traceparent goes on with every message that has none of its own.
TEST(ContextTest, APublishCarriesTheEventsTraceParent) {
  FakeContext ctx;
  auto out = std::make_shared<nimbus::MemoryPublisher>();
  ctx.add_binding("out", out);
  ctx.publisher("out").publish("t", "no trace yet");
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  nimbus::detail::ContextAccess::begin_event(ctx, "http", "web", trace,
                                             std::chrono::steady_clock::time_point::max());
  ctx.publisher("out").publish("t", "traced", {{"k", "v"}});
  ctx.publisher("out").publish("t", "own",
                               {{"TraceParent", "00-11111111111111111111111111111111-2222222222222222-00"}});
  const auto m = out->messages();
  ASSERT_EQ(m.size(), 3U);
  EXPECT_TRUE(m[0].headers.empty());
  EXPECT_EQ(m[1].headers, (nimbus::MessageHeaders{{"k", "v"}, {"traceparent", trace}}));
  EXPECT_EQ(m[2].headers.size(), 1U);
  EXPECT_EQ(m[2].headers[0].first, "TraceParent");
}

}  // namespace

namespace {

TEST(PlatformTest, DrainThenTerminationOnceAndWhatTheyThrowIsLogged) {
  nimbus::testing::FakeContext ctx;
  std::vector<std::string> calls;
  ctx.platform().set_drain_callback([&] {
    calls.emplace_back("drain");
    throw std::runtime_error("disk gone");
  });
  ctx.platform().set_termination_callback([&] { calls.emplace_back("termination"); });
  nimbus::detail::ContextAccess::terminate(ctx);
  nimbus::detail::ContextAccess::terminate(ctx);  // once only
  EXPECT_EQ(calls, (std::vector<std::string>{"drain", "termination"}));
  ASSERT_EQ(ctx.records().size(), 1U);
  EXPECT_EQ(ctx.records()[0].message, "the drain callback failed");
  EXPECT_EQ(ctx.records()[0].level, nimbus::LogLevel::kError);
}

TEST(PlatformTest, WithoutAHostAcknowledgementsAndCallsAreErrorsThatSaySo) {
  nimbus::testing::FakeContext ctx;
  auto acked = ctx.platform().explicit_ack({"orders", 1, 7});
  ASSERT_FALSE(acked);
  EXPECT_EQ(acked.error().message, "explicit_ack: this host runs no stream trigger that acknowledges");
  auto called = ctx.platform().call_function("other", {});
  ASSERT_FALSE(called);
  EXPECT_EQ(called.error().message, "call_function: this host cannot call functions");
}

TEST(PlatformTest, AQualifiedOffsetAndACallFromAnEvent) {
  auto stream = nimbus::testing::EventBuilder().stream("orders", 2, 41).body("x").build();
  const auto q = nimbus::QualifiedOffset::from_event(stream);
  EXPECT_EQ(q.topic, "orders");
  EXPECT_EQ(q.partition, 2);
  EXPECT_EQ(q.offset, 41);
  auto http =
      nimbus::testing::EventBuilder().method("PUT").path("/items/1").header("X-Key", "k").body("b").build();
  const auto call = nimbus::FunctionCall::from_event(http);
  EXPECT_EQ(call.method, "PUT");
  EXPECT_EQ(call.path, "/items/1");
  EXPECT_EQ(call.body, "b");
  EXPECT_EQ(call.headers, (std::vector<std::pair<std::string, std::string>>{{"X-Key", "k"}}));
}

}  // namespace
