// X-Nimbus-Log-Level: one invocation's logs returned in a response header.
#include <gtest/gtest.h>

#include <nimbus/engine/log_capture.hpp>
#include <nimbus/testing.hpp>

namespace {

using nimbus::Json;
using nimbus::LogLevel;
using nimbus::engine::InvocationLogs;
using nimbus::testing::EventBuilder;
using nimbus::testing::FakeContext;

std::optional<std::string> header(const nimbus::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers()) {
    if (k == name) return v;
  }
  return std::nullopt;
}

TEST(InvocationLogsTest, CapturesAtTheLevelAskedWhileTheWorkerKeepsItsOwn) {
  FakeContext ctx;
  ctx.logger().set_level(LogLevel::kWarn);
  auto event = EventBuilder().header("x-nimbus-log-level", "debug").build();
  nimbus::Response r = nimbus::Response::text("ok");
  {
    InvocationLogs logs(ctx, event);
    ASSERT_TRUE(logs.active());
    ctx.logger().debug("detail {}", 1);
    ctx.logger().child("db").warn_with("slow", {{"ms", 12}});
    logs.finish(r);
  }
  EXPECT_EQ(ctx.logger().level(), LogLevel::kWarn);  // restored
  ASSERT_EQ(ctx.records().size(), 1U);               // the worker's sink: its own level only
  EXPECT_EQ(ctx.records()[0].message, "slow");
  EXPECT_EQ(ctx.records()[0].logger, "db");
  auto value = header(r, "X-Nimbus-Logs");
  ASSERT_TRUE(value);
  EXPECT_EQ(Json::parse(*value), Json::parse(R"([{"level":"debug","message":"detail 1"},
                            {"level":"warn","message":"slow","fields":{"ms":12},"logger":"db"}])"));
}

TEST(InvocationLogsTest, NuclioHeaderAnswersInNuclioHeaderAndBadOrAbsentLevelsAskNothing) {
  FakeContext ctx;
  nimbus::Response r;
  {
    InvocationLogs logs(ctx, EventBuilder().header("X-Nuclio-Log-Level", "error").build());
    ctx.logger().info("not captured");
    ctx.logger().error("captured");
    logs.finish(r);
  }
  EXPECT_EQ(header(r, "X-Nuclio-Logs"), R"([{"level":"error","message":"captured"}])");
  for (const auto& event :
       {EventBuilder().header("X-Nimbus-Log-Level", "loud").build(), EventBuilder().build()}) {
    InvocationLogs logs(ctx, event);
    EXPECT_FALSE(logs.active());
    nimbus::Response plain;
    logs.finish(plain);
    EXPECT_TRUE(plain.headers().empty());
  }
}

TEST(InvocationLogsTest, ALongLogStopsAtTheHeaderLimitAndCountsTheRest) {
  FakeContext ctx;
  nimbus::Response r;
  {
    InvocationLogs logs(ctx, EventBuilder().header("X-Nimbus-Log-Level", "info").build());
    for (int i = 0; i < 1000; ++i) ctx.logger().info("record {} {}", i, std::string(40, 'x'));
    logs.finish(r);
  }
  auto value = header(r, "X-Nimbus-Logs");
  ASSERT_TRUE(value);
  EXPECT_LE(value->size(), InvocationLogs::kMaxHeaderBytes + 100);
  Json records = Json::parse(*value);
  const std::string last = records.back()["message"];
  EXPECT_EQ(last, std::to_string(1000 - (records.size() - 1)) + " more records not shown");
  EXPECT_EQ(ctx.records().size(), 1000U);  // the worker's own sink lost nothing
}

}  // namespace
