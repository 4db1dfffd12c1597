// Integration tests: a real nimbus-worker process over a real shared-memory channel.
#include "nimbus/engine/worker.hpp"

#include <gtest/gtest.h>

#include <map>

#include "../../engine/src/workers/messages.hpp"
#include "nimbus/testing/event_builder.hpp"

namespace {

using nimbus::engine::Worker;
using nimbus::engine::WorkerOptions;
using nimbus::engine::workers::LogView;
using nimbus::engine::workers::ResponseView;
using nimbus::testing::EventBuilder;
using namespace std::chrono_literals;

WorkerOptions options_for(const std::string& library, const std::string& function = "") {
  WorkerOptions o;
  o.worker_executable = NIMBUS_WORKER;
  o.library = std::string(NIMBUS_FIXTURE_DIR) + "/" + library;
  o.function = function;
  o.log_level = nimbus::LogLevel::kDebug;
  o.ready_timeout = 20s;
  return o;
}

struct Collected {
  std::map<std::uint64_t, nimbus::Response> responses;
  std::vector<std::pair<std::uint64_t, std::string>> logs;  // request id, message
};

// Polls until `count` responses arrived or the worker died; a watchdog bounds the wait.
void collect(Worker& w, Collected& c, std::size_t count, std::chrono::seconds limit = 20s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (c.responses.size() < count && std::chrono::steady_clock::now() < deadline) {
    w.poll([&](const ResponseView& r) { c.responses.emplace(r.request_id, r.to_response()); },
           [&](const LogView& l) { c.logs.emplace_back(l.request_id, std::string(l.message)); });
    if (c.responses.size() < count) {
      if (w.check_exit()) return;
      w.wait(10ms);
    }
  }
}

auto far() { return std::chrono::steady_clock::now() + 30s; }

TEST(WorkerTest, RoundTripsWithInitHookAndLogs) {
  auto w = Worker::start(options_for("multi.so", "second"));
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ((*w)->function_name(), "second");
  ASSERT_EQ((*w)->init_logs().size(), 1U);
  EXPECT_EQ((*w)->init_logs()[0].message, "init");
  EXPECT_EQ((*w)->init_logs()[0].fields, (nimbus::Json{{"worker", 0}}));
  for (std::uint64_t id = 1; id <= 3; ++id) {
    ASSERT_TRUE((*w)->try_submit(id, EventBuilder().trigger("cron", "nightly").build(), far()));
  }
  (*w)->flush();
  Collected c;
  collect(**w, c, 3);
  ASSERT_EQ(c.responses.size(), 3U);
  EXPECT_EQ(nimbus::Json::parse(c.responses[3].body()),
            (nimbus::Json{{"calls", 3}, {"mode", ""}, {"trigger", "cron"}}));
  EXPECT_EQ(c.responses[3].content_type(), "application/json");
}

// The same handler, logs and failure in a worker process and in a worker thread.
class WorkerModeTest : public ::testing::TestWithParam<nimbus::engine::WorkerMode> {};

TEST_P(WorkerModeTest, ThrowingHandlerIsA500WithItsErrorLog) {
  auto o = options_for("throws.so");
  o.mode = GetParam();
  auto w = Worker::start(o);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ((*w)->pid() == -1, GetParam() == nimbus::engine::WorkerMode::kThread);
  ASSERT_TRUE((*w)->try_submit(7, EventBuilder().method("POST").path("/x").build(), far()));
  ASSERT_TRUE((*w)->try_submit(8, EventBuilder().build(), far()));
  (*w)->flush();
  Collected c;
  collect(**w, c, 2);
  EXPECT_EQ(c.responses[7].status(), 500);
  EXPECT_EQ(c.responses[7].body(), "handler error: cannot handle /x");
  EXPECT_EQ(c.responses[8].body(), "ok");
  ASSERT_EQ(c.logs.size(), 2U);
  EXPECT_EQ(c.logs[0], (std::pair<std::uint64_t, std::string>{7, "handler failed"}));
  EXPECT_EQ(c.logs[1], (std::pair<std::uint64_t, std::string>{8, "fine"}));
}

INSTANTIATE_TEST_SUITE_P(Modes, WorkerModeTest,
                         ::testing::Values(nimbus::engine::WorkerMode::kProcess,
                                           nimbus::engine::WorkerMode::kThread));

TEST(WorkerTest, ACrashIsDetectedWithItsSignal) {
  auto w = Worker::start(options_for("crashes.so"));
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE((*w)->try_submit(1, EventBuilder().path("/fine").build(), far()));
  ASSERT_TRUE((*w)->try_submit(2, EventBuilder().path("/segv").build(), far()));
  (*w)->flush();
  Collected c;
  collect(**w, c, 2);
  EXPECT_EQ(c.responses.size(), 1U) << "the crashing event gets no response from the worker";
  EXPECT_EQ(c.responses[1].body(), "ok /fine");
  std::optional<std::string> exit;
  for (int i = 0; i < 200 && !(exit = (*w)->check_exit()); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(exit);
  EXPECT_EQ(*exit, "killed by signal 11 (Segmentation fault)");
}

TEST(WorkerTest, AStuckWorkerCanBeKilled) {
  auto w = Worker::start(options_for("crashes.so"));
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE((*w)->try_submit(1, EventBuilder().path("/hang").build(), far()));
  (*w)->flush();
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE((*w)->check_exit());
  (*w)->kill();
  std::optional<std::string> exit;
  for (int i = 0; i < 200 && !(exit = (*w)->check_exit()); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(exit);
  EXPECT_EQ(*exit, "killed by signal 9 (Killed)");
}

TEST(WorkerTest, StartFailuresCarryTheWorkersReason) {
  auto init = Worker::start(options_for("init_fails.so"));
  ASSERT_FALSE(init);
  EXPECT_EQ(init.error().message, "init hook of 'handler' failed: model file missing");
  auto foreign = Worker::start(options_for("not_nimbus.so"));
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("not a Nimbus function library"), std::string::npos);
  auto missing_exe = options_for("throws.so");
  missing_exe.worker_executable = "/nonexistent/nimbus-worker";
  auto r = Worker::start(missing_exe);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot start worker /nonexistent/nimbus-worker: No such file or directory");
}

TEST(WorkerTest, TenThousandRequestsAllAnsweredInOrder) {
  auto o = options_for("crashes.so");
  o.request_ring_bytes = 1 << 16;  // small rings, so both sides wait for space
  o.response_ring_bytes = 1 << 16;
  auto w = Worker::start(o);
  ASSERT_TRUE(w) << w.error().message;
  constexpr std::uint64_t kCount = 10'000;
  std::vector<std::uint64_t> order;
  bool bodies_ok = true;
  std::uint64_t next = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (order.size() < kCount && std::chrono::steady_clock::now() < deadline) {
    while (next < kCount) {
      auto event = EventBuilder().path("/" + std::to_string(next)).build();
      if (!(*w)->try_submit(next, event, far())) break;
      ++next;
    }
    (*w)->flush();
    (*w)->poll(
        [&](const ResponseView& r) {
          bodies_ok = bodies_ok && r.body == "ok /" + std::to_string(r.request_id);
          order.push_back(r.request_id);
        },
        [](const LogView&) {});
    ASSERT_FALSE((*w)->check_exit());
    if (order.size() < next) (*w)->wait(1ms);
  }
  ASSERT_EQ(order.size(), kCount);
  EXPECT_TRUE(bodies_ok);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

}  // namespace

namespace {

TEST(WorkerTest, ThreadModeInitFailure) {
  auto o = options_for("init_fails.so");
  o.mode = nimbus::engine::WorkerMode::kThread;
  auto w = Worker::start(o);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, "init hook of 'handler' failed: model file missing");
}

}  // namespace
