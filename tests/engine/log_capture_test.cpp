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
  auto nuclio = Json::parse(header(r, "X-Nuclio-Logs").value_or("null"));
  ASSERT_EQ(nuclio.size(), 1U) << nuclio;
  EXPECT_EQ(nuclio[0]["level"], "error");
  EXPECT_EQ(nuclio[0]["message"], "captured");
  EXPECT_EQ(nuclio[0]["name"], "test-function");
  EXPECT_TRUE(nuclio[0]["time"].is_number()) << nuclio;
  for (const auto& event :
       {EventBuilder().header("X-Nimbus-Log-Level", "loud").build(), EventBuilder().build()}) {
    InvocationLogs logs(ctx, event);
    EXPECT_FALSE(logs.active());
    nimbus::Response plain;
    logs.finish(plain);
    EXPECT_TRUE(plain.headers().empty());
  }
}

TEST(InvocationLogsTest, NuclioRecordsHaveTheShapeNuclioProcessorsGive) {
  // nuclio's processor answers X-Nuclio-Logs with zap's JSON records: level, time (epoch
  // milliseconds), name, message, and the fields beside them; tools such as mlrun read those keys.
  FakeContext ctx("orders");
  nimbus::Response r;
  const auto before = std::chrono::system_clock::now();
  {
    InvocationLogs logs(ctx, EventBuilder().header("x-nuclio-log-level", "debug").build());
    ctx.logger().debug_with("saved", {{"id", 7}, {"ok", true}, {"message", "a field named like a key"}});
    ctx.logger().child("db").info("plain");
    logs.finish(r);
  }
  const auto after = std::chrono::system_clock::now();
  auto records = Json::parse(header(r, "X-Nuclio-Logs").value_or("null"));
  ASSERT_EQ(records.size(), 2U) << records;
  const Json& saved = records[0];
  EXPECT_EQ(saved["level"], "debug");
  EXPECT_EQ(saved["message"], "saved");
  EXPECT_EQ(saved["name"], "orders");
  EXPECT_EQ(saved["id"], 7);
  EXPECT_EQ(saved["ok"], true);
  EXPECT_EQ(saved["message_"], "a field named like a key");
  EXPECT_FALSE(saved.contains("fields"));
  auto ms = [](auto t) { return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count(); };
  EXPECT_GE(saved["time"].get<double>(), ms(before) - 1);
  EXPECT_LE(saved["time"].get<double>(), ms(after) + 1);
  EXPECT_EQ(records[1]["name"], "orders.db");
  EXPECT_EQ(records[1]["message"], "plain");
  EXPECT_FALSE(header(r, "X-Nimbus-Logs"));
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
