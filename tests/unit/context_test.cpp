#include <gtest/gtest.h>

#include <nimbus/context.hpp>
#include <nimbus/testing/fake_context.hpp>
#include <thread>

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
