#include <gtest/gtest.h>

#include <nimbus/logger.hpp>
#include <nimbus/testing/fake_context.hpp>

namespace {

using nimbus::Json;
using nimbus::Logger;
using nimbus::LogLevel;
using nimbus::testing::CapturingSink;

TEST(LoggerTest, StructuredFields) {
  CapturingSink sink;
  Logger log(&sink, LogLevel::kDebug);
  std::string name = "Ada";
  log.info_with("greeting", {{"name", name}, {"count", 3}, {"ok", true}, {"ratio", 0.5}, {"none", nullptr}});
  ASSERT_EQ(sink.records().size(), 1U);
  const auto& r = sink.records()[0];
  EXPECT_EQ(r.level, LogLevel::kInfo);
  EXPECT_EQ(r.message, "greeting");
  EXPECT_EQ(r.fields, (Json{{"name", "Ada"}, {"count", 3}, {"ok", true}, {"ratio", 0.5}, {"none", nullptr}}));
  EXPECT_GT(r.time.time_since_epoch().count(), 0);
}

TEST(LoggerTest, FmtStyleMessages) {
  CapturingSink sink;
  Logger log(&sink, LogLevel::kDebug);
  log.warn("{} of {} failed", 2, 5);
  ASSERT_EQ(sink.records().size(), 1U);
  EXPECT_EQ(sink.records()[0].message, "2 of 5 failed");
  EXPECT_EQ(sink.records()[0].level, LogLevel::kWarn);
}

TEST(LoggerTest, LevelFiltersAndSkipsFormatting) {
  CapturingSink sink;
  Logger log(&sink, LogLevel::kWarn);
  int formatted = 0;
  log.debug("{}", formatted);
  log.info_with("dropped", {{"k", 1}});
  log.error("kept");
  ASSERT_EQ(sink.records().size(), 1U);
  EXPECT_EQ(sink.records()[0].message, "kept");
  EXPECT_FALSE(log.enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.enabled(LogLevel::kError));
}

TEST(LoggerTest, BoundFieldsAndChildren) {
  CapturingSink sink;
  Logger root(&sink, LogLevel::kDebug);
  auto req = root.bind({{"request", "r1"}});
  auto db = req.child("db").bind({{"table", "users"}});
  db.info_with("query", {{"table", "accounts"}, {"rows", 2}});
  root.info("plain");
  ASSERT_EQ(sink.records().size(), 2U);
  EXPECT_EQ(sink.records()[0].logger, "db");
  EXPECT_EQ(sink.records()[0].fields, (Json{{"request", "r1"}, {"table", "accounts"}, {"rows", 2}}));
  EXPECT_EQ(sink.records()[1].logger, "");
  EXPECT_TRUE(sink.records()[1].fields.empty());
  EXPECT_EQ(db.child("pool").name(), "db.pool");
}

TEST(LoggerTest, NullSinkDropsEverything) {
  Logger log;
  EXPECT_FALSE(log.enabled(LogLevel::kError));
  log.error("nowhere");  // must not crash
}

TEST(LoggerTest, ParsesLevelNames) {
  EXPECT_EQ(nimbus::parse_log_level("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(nimbus::parse_log_level("warning"), LogLevel::kWarn);
  EXPECT_EQ(nimbus::parse_log_level("error"), LogLevel::kError);
  EXPECT_FALSE(nimbus::parse_log_level("loud"));
  EXPECT_EQ(nimbus::to_string(LogLevel::kWarn), "warn");
}

}  // namespace
