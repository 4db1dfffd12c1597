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
  nimbus::detail::ContextAccess::begin_event(ctx, "http", "web",
                                             std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(ctx.trigger().kind, "http");
  EXPECT_EQ(ctx.trigger().name, "web");
}

TEST(ContextTest, RemainingTimeCountsDownToZero) {
  FakeContext ctx;
  nimbus::detail::ContextAccess::begin_event(ctx, "http", "web",
                                             std::chrono::steady_clock::now() + std::chrono::seconds(10));
  EXPECT_GT(ctx.remaining().count(), 5000);
  EXPECT_LE(ctx.remaining().count(), 10000);
  nimbus::detail::ContextAccess::begin_event(ctx, "http", "web",
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
    std::string_view interface_name() const noexcept override { return "queue"; }
  };
  FakeContext ctx;
  ctx.add_binding("jobs", std::make_shared<Queue>());
  EXPECT_THROW((void)ctx.kv("jobs"), nimbus::BindingError);
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
