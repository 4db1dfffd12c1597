// Integration tests: the dispatcher over real worker processes.
#include "nimbus/engine/dispatcher.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "nimbus/testing/event_builder.hpp"

namespace {

using nimbus::Response;
using nimbus::engine::Dispatcher;
using nimbus::engine::DispatcherOptions;
using nimbus::testing::EventBuilder;
using namespace std::chrono_literals;

DispatcherOptions options(int workers, std::chrono::milliseconds timeout = 30s) {
  DispatcherOptions o;
  o.worker.worker_executable = NIMBUS_WORKER;
  o.worker.library = std::string(NIMBUS_FIXTURE_DIR) + "/crashes.so";
  o.num_workers = workers;
  o.event_timeout = timeout;
  return o;
}

// Collects completions by a test-chosen key; waits with a watchdog.
class Results {
 public:
  Dispatcher::Completion on(std::string key) {
    return [this, key](Response r) {
      std::lock_guard lock(m_);
      got_.emplace(key, std::move(r));
      cv_.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::seconds limit = 30s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, limit, [&] { return got_.size() >= n; });
  }
  Response get(const std::string& key) {
    std::lock_guard lock(m_);
    return got_.at(key);
  }
  std::size_t size() {
    std::lock_guard lock(m_);
    return got_.size();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::map<std::string, Response> got_;
};

TEST(DispatcherTest, ACrashIsA500AndOtherEventsAreUnaffected) {
  auto d = Dispatcher::start(options(2));
  ASSERT_TRUE(d) << d.error().message;
  Results results;
  for (int i = 0; i < 20; ++i) {
    (*d)->submit(EventBuilder().path("/" + std::to_string(i)).build(), results.on(std::to_string(i)));
    if (i == 5) (*d)->submit(EventBuilder().path("/segv").build(), results.on("segv"));
  }
  ASSERT_TRUE(results.wait_for(21));
  auto crash = results.get("segv");
  EXPECT_EQ(crash.status(), 500);
  EXPECT_NE(crash.body().find(
                "killed by signal 11 (Segmentation fault) while handling this event; it was restarted"),
            std::string::npos)
      << crash.body();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(results.get(std::to_string(i)).body(), "ok /" + std::to_string(i));
  }
  EXPECT_EQ((*d)->restarts(), 1U);
  Results after;
  (*d)->submit(EventBuilder().path("/after").build(), after.on("after"));
  ASSERT_TRUE(after.wait_for(1));
  EXPECT_EQ(after.get("after").body(), "ok /after");
}

TEST(DispatcherTest, EventsQueuedBehindACrashGoToTheReplacement) {
  auto d = Dispatcher::start(options(1));
  ASSERT_TRUE(d) << d.error().message;
  Results results;
  (*d)->submit(EventBuilder().path("/abort").build(), results.on("abort"));
  for (int i = 0; i < 50; ++i) {
    (*d)->submit(EventBuilder().path("/q" + std::to_string(i)).build(), results.on(std::to_string(i)));
  }
  ASSERT_TRUE(results.wait_for(51));
  EXPECT_EQ(results.get("abort").status(), 500);
  EXPECT_NE(results.get("abort").body().find("killed by signal 6 (Aborted)"), std::string::npos);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(results.get(std::to_string(i)).body(), "ok /q" + std::to_string(i)) << i;
}

TEST(DispatcherTest, AStuckEventIsA504AndTheWorkerIsReplaced) {
  auto d = Dispatcher::start(options(1, 300ms));
  ASSERT_TRUE(d) << d.error().message;
  Results results;
  (*d)->submit(EventBuilder().path("/hang").build(), results.on("hang"));
  (*d)->submit(EventBuilder().path("/next").build(), results.on("next"));
  ASSERT_TRUE(results.wait_for(2));
  EXPECT_EQ(results.get("hang").status(), 504);
  EXPECT_EQ(results.get("hang").body(), "event timed out after 300 ms; worker 0 was restarted");
  EXPECT_EQ(results.get("next").status(), 504);  // it waited its whole timeout behind the stuck one
  EXPECT_EQ(results.get("next").body(), "event timed out after 300 ms waiting in worker 0's queue");
  EXPECT_EQ((*d)->restarts(), 1U);
  Results after;
  (*d)->submit(EventBuilder().path("/after").build(), after.on("after"));
  ASSERT_TRUE(after.wait_for(1));
  EXPECT_EQ(after.get("after").body(), "ok /after");
}

TEST(DispatcherTest, TenThousandEventsOverTwoWorkers) {
  auto d = Dispatcher::start(options(2));
  ASSERT_TRUE(d) << d.error().message;
  std::mutex m;
  std::condition_variable cv;
  int done = 0;
  int wrong = 0;
  for (int i = 0; i < 10'000; ++i) {
    std::string path = "/" + std::to_string(i);
    (*d)->submit(EventBuilder().path(path).build(), [&, path](Response r) {
      std::lock_guard lock(m);
      wrong += (r.status() != 200 || r.body() != "ok " + path) ? 1 : 0;
      ++done;
      cv.notify_all();
    });
  }
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return done == 10'000; })) << done;
  EXPECT_EQ(wrong, 0);
}

}  // namespace

namespace {

TEST(DispatcherTest, ThreadModeAnswersAndAbandonsAStuckThread) {
  auto o = options(2, 300ms);
  o.worker.mode = nimbus::engine::WorkerMode::kThread;
  auto d = Dispatcher::start(o);
  ASSERT_TRUE(d) << d.error().message;
  Results results;
  (*d)->submit(EventBuilder().path("/hang").build(), results.on("hang"));
  for (int i = 0; i < 100; ++i) {
    (*d)->submit(EventBuilder().path("/" + std::to_string(i)).build(), results.on(std::to_string(i)));
  }
  ASSERT_TRUE(results.wait_for(101));
  EXPECT_EQ(results.get("hang").status(), 504);
  EXPECT_EQ(results.get("hang").body(), "event timed out after 300 ms; worker 0 was restarted");
  int ok = 0;
  for (int i = 0; i < 100; ++i)
    ok += results.get(std::to_string(i)).body() == "ok /" + std::to_string(i) ? 1 : 0;
  // Events that were queued behind the stuck one for the whole timeout are 504s; all others are answered.
  EXPECT_GE(ok, 50);
  EXPECT_EQ((*d)->restarts(), 1U);
}

// Follows every request and keeps the record each response brought.
class RecordingTap : public nimbus::engine::DispatchTap {
 public:
  bool begin(std::uint64_t /*id*/, const nimbus::Event& /*event*/) override { return true; }
  void end(std::uint64_t /*id*/, const Response& response, const nimbus::engine::RecordParts* record,
           std::chrono::nanoseconds /*took*/) override {
    std::lock_guard lock(m_);
    Seen s;
    s.status = response.status();
    if (record != nullptr) {
      s.record = true;
      s.event = record->event;
      s.calls = record->calls;
      s.logs = record->logs;
      s.response = record->response;
    }
    seen_.push_back(std::move(s));
  }
  struct Seen {
    int status = 0;
    bool record = false;
    std::string event, calls, logs, response;
  };
  std::vector<Seen> seen() {
    std::lock_guard lock(m_);
    return seen_;
  }

 private:
  std::mutex m_;
  std::vector<Seen> seen_;
};

TEST(DispatcherTest, AFollowedRequestComesBackWithTheRecordTheWorkerWrote) {
  RecordingTap tap;
  auto o = options(1);
  o.tap = &tap;
  o.worker.redacted_headers = {"authorization"};
  auto d = Dispatcher::start(o);
  ASSERT_TRUE(d) << d.error().message;
  Results results;
  (*d)->submit(
      EventBuilder().path("/ok").header("Authorization", "Bearer hunter2").header("X-Trace", "t-1").build(),
      results.on("ok"));
  ASSERT_TRUE(results.wait_for(1));
  (*d)->submit(EventBuilder().path("/segv").build(), results.on("segv"));
  ASSERT_TRUE(results.wait_for(2));
  auto seen = tap.seen();
  ASSERT_EQ(seen.size(), 2U);

  const auto& ok = seen[0];
  EXPECT_EQ(ok.status, 200);
  ASSERT_TRUE(ok.record);
  auto event = nimbus::Json::parse(ok.event);
  EXPECT_EQ(event["path"], "/ok");
  EXPECT_EQ(event["headers"]["Authorization"], "[REDACTED]");  // hidden by the worker, as named
  EXPECT_EQ(event["headers"]["X-Trace"], "t-1");
  EXPECT_EQ(ok.event.find("hunter2"), std::string::npos);
  EXPECT_EQ(nimbus::Json::parse("[" + ok.calls + "]"), nimbus::Json::array());
  EXPECT_EQ(nimbus::Json::parse("[" + ok.logs + "]"),
            nimbus::Json::parse(R"([{"level":"info","message":"answered","fields":{"path":"/ok"}}])"));
  EXPECT_EQ(nimbus::Json::parse(ok.response)["body"], "ok /ok");

  // The worker died before it could answer: the dispatcher's 500 comes without a record.
  EXPECT_EQ(seen[1].status, 500);
  EXPECT_FALSE(seen[1].record);
}

}  // namespace
