// A plain GoogleTest of the hello handler: no emulator, nothing started.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nimbus/testing.hpp>

nimbus::Response greet(nimbus::Context& ctx, const nimbus::Event& event);

namespace {

using nimbus::Json;
using nimbus::testing::EventBuilder;
using nimbus::testing::FakeContext;

class HelloTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("GREETING", "hi", 1); }
  FakeContext ctx_{"hello"};
  std::shared_ptr<nimbus::MemoryKeyValueStore> seen_ = ctx_.add_memory_kv("seen");
};

TEST_F(HelloTest, GreetsTheWorldByDefault) {
  auto r = greet(ctx_, EventBuilder().build());
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(Json::parse(r.body()), (Json{{"greeting", "hi, world"}, {"again", false}}));
}

TEST_F(HelloTest, NameFromHeaderBodyOrField) {
  EXPECT_EQ(Json::parse(greet(ctx_, EventBuilder().header("x-name", "Ada").build()).body())["greeting"],
            "hi, Ada");
  EXPECT_EQ(Json::parse(greet(ctx_, EventBuilder().json({{"name", "Grace"}}).build()).body())["greeting"],
            "hi, Grace");
  EXPECT_EQ(Json::parse(greet(ctx_, EventBuilder().field("name", "Linus").build()).body())["greeting"],
            "hi, Linus");
}

TEST_F(HelloTest, RemembersWhomItGreeted) {
  (void)greet(ctx_, EventBuilder().header("X-Name", "Ada").build());
  auto r = greet(ctx_, EventBuilder().header("X-Name", "Ada").build());
  EXPECT_EQ(Json::parse(r.body())["again"], true);
  EXPECT_EQ(seen_->get("Ada"), "1");
  EXPECT_TRUE(ctx_.logged(nimbus::LogLevel::kDebug, "Ada was greeted before"));
}

TEST_F(HelloTest, LogsTheGreeting) {
  (void)greet(ctx_, EventBuilder().header("X-Name", "Ada").build());
  ASSERT_EQ(ctx_.records().size(), 1U);
  EXPECT_EQ(ctx_.records()[0].message, "greeting");
  EXPECT_EQ(ctx_.records()[0].fields, (Json{{"name", "Ada"}, {"again", false}}));
}

TEST_F(HelloTest, MalformedJsonBodyIsA500ThroughTheHost) {
  auto r = nimbus::testing::invoke<greet>(
      ctx_, EventBuilder().body("{oops").content_type("application/json").build());
  EXPECT_EQ(r.status(), 500);
  EXPECT_TRUE(ctx_.logged(nimbus::LogLevel::kError, "handler failed"));
}

}  // namespace
