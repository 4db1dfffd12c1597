// Cron schedules (nuclio's six fields with seconds, five without, descriptors), and the cron
// trigger on a real event loop and timer: it fires on its interval, skips a tick while its
// workers are busy, stops on drain, and refuses bad attributes naming them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <vector>

#include "../../engine/src/triggers/cron/cron_schedule.hpp"
#include "nimbus/engine/trigger.hpp"

namespace {

using nimbus::engine::cron::Schedule;
using Clock = std::chrono::system_clock;

// A local time, for schedules read in the machine's zone (UTC here: TZ is set in main below).
Clock::time_point at(int year, int month, int day, int hour, int minute, int second) {
  std::tm t{};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  t.tm_isdst = -1;
  return Clock::from_time_t(std::mktime(&t));
}

Clock::time_point next(std::string_view schedule, Clock::time_point after) {
  auto s = Schedule::parse(schedule);
  EXPECT_TRUE(s) << schedule << ": " << s.error().message;
  auto n = s->next(after);
  EXPECT_TRUE(n) << schedule;
  return n.value_or(Clock::time_point{});
}

class CronScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(CronScheduleTest, SixFieldsCountSeconds) {
  const auto t0 = at(2026, 12, 1, 10, 0, 3);
  EXPECT_EQ(next("*/5 * * * * *", t0), at(2026, 12, 1, 10, 0, 5));
  EXPECT_EQ(next("*/5 * * * * *", at(2026, 12, 1, 10, 0, 5)), at(2026, 12, 1, 10, 0, 10));  // strictly after
  EXPECT_EQ(next("30 * * * * *", t0), at(2026, 12, 1, 10, 0, 30));
  EXPECT_EQ(next("0 15 10 * * *", t0), at(2026, 12, 1, 10, 15, 0));
  EXPECT_EQ(next("0 0 9 * * *", t0), at(2026, 12, 2, 9, 0, 0));
  EXPECT_EQ(next("10-12/2,40 * * * * *", at(2026, 12, 1, 10, 0, 11)), at(2026, 12, 1, 10, 0, 12));
  EXPECT_EQ(next("50/3 * * * * *", at(2026, 12, 1, 10, 0, 56)),
            at(2026, 12, 1, 10, 0, 59));  // a/n: a to the end
}

TEST_F(CronScheduleTest, FiveFieldsStartOnTheMinute) {
  EXPECT_EQ(next("*/15 * * * *", at(2026, 12, 1, 10, 7, 30)), at(2026, 12, 1, 10, 15, 0));
  EXPECT_EQ(next("0 0 1 * *", at(2026, 12, 1, 10, 7, 30)), at(2027, 1, 1, 0, 0, 0));
}

TEST_F(CronScheduleTest, NamesWeekdaysAndTheDayRule) {
  // 2026-12-01 is a Tuesday.
  EXPECT_EQ(next("0 0 12 * * MON-FRI", at(2026, 12, 5, 0, 0, 0)), at(2026, 12, 7, 12, 0, 0));  // Sat → Mon
  EXPECT_EQ(next("0 0 0 * * 7", at(2026, 12, 1, 0, 0, 0)), at(2026, 12, 6, 0, 0, 0));          // 7 is Sunday
  EXPECT_EQ(next("0 0 0 1 jan *", at(2026, 12, 1, 0, 0, 0)), at(2027, 1, 1, 0, 0, 0));
  // Day of month and day of week both restricted: either (the 15th, or a Friday).
  EXPECT_EQ(next("0 0 0 15 * fri", at(2026, 12, 1, 0, 0, 0)), at(2026, 12, 4, 0, 0, 0));
  EXPECT_EQ(next("0 0 0 29 2 *", at(2026, 12, 1, 0, 0, 0)), at(2028, 2, 29, 0, 0, 0));  // the next leap day
}

TEST_F(CronScheduleTest, Descriptors) {
  const auto t0 = at(2026, 12, 1, 10, 7, 30);
  EXPECT_EQ(next("@hourly", t0), at(2026, 12, 1, 11, 0, 0));
  EXPECT_EQ(next("@daily", t0), at(2026, 12, 2, 0, 0, 0));
  EXPECT_EQ(next("@midnight", t0), at(2026, 12, 2, 0, 0, 0));
  EXPECT_EQ(next("@weekly", t0), at(2026, 12, 6, 0, 0, 0));
  EXPECT_EQ(next("@monthly", t0), at(2027, 1, 1, 0, 0, 0));
  EXPECT_EQ(next("@yearly", t0), at(2027, 1, 1, 0, 0, 0));
  EXPECT_EQ(next("@every 1m30s", t0), t0 + std::chrono::seconds(90));
}

TEST_F(CronScheduleTest, ASchedulethatNamesNoDayIsNothingNotALoop) {
  auto s = Schedule::parse("0 0 0 30 2 *");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->next(at(2026, 12, 1, 0, 0, 0)));
}

TEST_F(CronScheduleTest, BadSchedulesNameTheFieldAndWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"* * * *",
       "schedule '* * * *': expected 6 fields (second minute hour day month weekday) or 5 (without "
       "seconds), got 4"},
      {"61 * * * * *", "schedule '61 * * * * *': second field '61': 61 is outside 0-59"},
      {"* * 24 * * *", "hour field '24': 24 is outside 0-23"},
      {"* * * 0 * *", "day of month field '0': 0 is outside 1-31"},
      {"* * * * foo *", "month field 'foo': 'foo' is not a number or a name"},
      {"* * * * * 8", "day of week field '8': 8 is outside 0-7"},
      {"5-2 * * * * *", "second field '5-2': the range 5-2 runs backwards"},
      {"*/0 * * * * *", "second field '*/0': 0 is outside 1-1000"},
      {"@sometimes", "unknown descriptor"},
      {"@every soon", "'soon' is not a duration"},
  };
  for (const auto& [text, message] : cases) {
    auto s = Schedule::parse(text);
    ASSERT_FALSE(s) << text;
    EXPECT_NE(s.error().message.find(message), std::string::npos) << s.error().message;
  }
}

// A submitter that keeps what it was given and answers when told.
struct Keeper final : nimbus::engine::Submitter {
  std::vector<std::string> ids;
  std::vector<std::string> bodies;
  std::vector<Done> pending;
  std::vector<std::string> rejected;
  void submit(const nimbus::Event& event, std::string_view /*origin*/, Done done) override {
    ids.emplace_back(event.id());
    bodies.emplace_back(event.body());
    EXPECT_EQ(event.trigger_kind(), "cron");
    EXPECT_EQ(event.trigger_name(), "tick");
    EXPECT_EQ(event.header("X-Source"), "cron");
    EXPECT_EQ(event.path(), "/tick");
    pending.push_back(std::move(done));
  }
  void reject(std::string_view /*origin*/, std::string_view why) override { rejected.emplace_back(why); }
  void notice(std::string_view message, bool /*warning*/) override { rejected.emplace_back(message); }
};

nimbus::engine::TriggerSpec cron_spec(nimbus::Json attributes) {
  nimbus::engine::TriggerSpec spec;
  spec.name = "tick";
  spec.kind = "cron";
  spec.attributes = std::move(attributes);
  return spec;
}

TEST(CronTriggerTest, FiresOnItsIntervalSkipsWhileBusyAndStopsOnDrain) {
  auto loop = nimbus::engine::EventLoop::create();  // first: it outlives the trigger that watches it
  ASSERT_TRUE(loop);
  nimbus::engine::TriggerRegistry registry;
  nimbus::engine::register_builtin_triggers(registry);
  auto trigger = registry.make(
      cron_spec({{"interval", "50ms"},
                 {"event", {{"body", "ping"}, {"headers", {{"X-Source", "cron"}}}, {"path", "/tick"}}}}),
      {});
  ASSERT_TRUE(trigger) << trigger.error().message;
  ASSERT_TRUE((*trigger)->open(**loop));
  Keeper keeper;
  (*trigger)->start(keeper);
  const auto until = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) (*loop)->wait(100);
  };
  until([&] { return !keeper.pending.empty(); });
  ASSERT_EQ(keeper.ids.size(), 1U);
  EXPECT_EQ(keeper.bodies[0], "ping");
  // One worker, busy: the next ticks are skipped and said so, not queued.
  until([&] { return !keeper.rejected.empty(); });
  EXPECT_EQ(keeper.ids.size(), 1U);
  EXPECT_NE(keeper.rejected[0].find("was skipped: 1 earlier events are still running (numWorkers 1)"),
            std::string::npos)
      << keeper.rejected[0];
  EXPECT_FALSE((*trigger)->idle());
  keeper.pending[0](nimbus::Response::text("ok"));
  until([&] { return keeper.ids.size() >= 2; });  // a free worker: the next tick goes out
  ASSERT_EQ(keeper.ids.size(), 2U);
  keeper.pending[1](nimbus::Response::text("ok"));
  EXPECT_NE(keeper.ids[0], keeper.ids[1]);  // each tick its own id
  EXPECT_EQ((*trigger)->stats().events(200), 2U);
  (*trigger)->drain();
  for (std::size_t i = 2; i < keeper.pending.size(); ++i) keeper.pending[i](nimbus::Response::text("ok"));
  const std::size_t after_drain = keeper.ids.size();
  for (int i = 0; i < 3; ++i) (*loop)->wait(60);
  EXPECT_EQ(keeper.ids.size(), after_drain);
  EXPECT_TRUE((*trigger)->idle());
}

TEST(CronTriggerTest, BadAttributesAreErrorsNamingThem) {
  nimbus::engine::TriggerRegistry registry;
  nimbus::engine::register_builtin_triggers(registry);
  const std::vector<std::pair<nimbus::Json, std::string>> cases = {
      {nimbus::Json::object(), "spec.triggers.tick: a cron trigger takes exactly one of attributes.schedule"},
      {{{"schedule", "* * * * * *"}, {"interval", "1s"}}, "takes exactly one of"},
      {{{"schedule", "* * *"}},
       "spec.triggers.tick.attributes.schedule: schedule '* * *': expected 6 fields"},
      {{{"interval", "often"}},
       "spec.triggers.tick.attributes.interval: schedule '@every often': 'often' is not"},
      {{{"interval", "1s"}, {"event", {{"headers", {{"X-A", {1, 2}}}}}}},
       "spec.triggers.tick.attributes.event: field 'headers.X-A': expected a string, got array"},
  };
  for (const auto& [attributes, message] : cases) {
    auto t = registry.make(cron_spec(attributes), {});
    ASSERT_FALSE(t) << attributes.dump();
    EXPECT_NE(t.error().message.find(message), std::string::npos) << t.error().message;
  }
}

}  // namespace
