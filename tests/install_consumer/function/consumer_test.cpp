#include <gtest/gtest.h>

#include <nimbus/testing.hpp>

nimbus::Json echo(nimbus::Context& ctx, const nimbus::Event& event);

TEST(ConsumerTest, Echoes) {
  nimbus::testing::FakeContext ctx("consumer");
  auto r = nimbus::testing::invoke<echo>(ctx, nimbus::testing::EventBuilder().body("hi").build());
  EXPECT_EQ(nimbus::Json::parse(r.body()), (nimbus::Json{{"echo", "hi"}, {"function", "consumer"}}));
  EXPECT_TRUE(ctx.logged(nimbus::LogLevel::kInfo, "echo"));
}
