// Integration tests: the dispatcher over real worker processes.
#include "nimbus/engine/dispatcher.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
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

// The function's metrics summed across workers, once every worker has sent what it counted.
nimbus::engine::MetricTotals metrics_when(const Dispatcher& d, const std::string& key, double value) {
  for (int i = 0; i < 500; ++i) {
    auto totals = d.metrics();
    auto it = totals.series().find(key);
    if (it != totals.series().end() && it->second.value == value) return totals;
    std::this_thread::sleep_for(10ms);
  }
  return d.metrics();
}

TEST(DispatcherTest, TheFunctionsMetricsAreSummedAcrossWorkersAndOutliveACrash) {
  auto d = Dispatcher::start(options(2));
  ASSERT_TRUE(d) << d.error().message;
  Results results;
  for (int i = 0; i < 20; ++i)
    (*d)->submit(EventBuilder().path("/" + std::to_string(i)).build(), results.on(std::to_string(i)));
  ASSERT_TRUE(results.wait_for(20));
  const std::string handled = std::string("handled_total") + '\0' + "first=\"/1\"";  // /1, /10.../19
  auto totals = metrics_when(**d, handled, 11);
  EXPECT_EQ(totals.series().at(handled).value, 11);
  EXPECT_EQ(totals.series().at(std::string("workers_up") + '\0').value, 2);  // both workers answered
  const auto& sizes = totals.series().at(std::string("path_bytes") + '\0');
  EXPECT_EQ(sizes.count, 20U);
  EXPECT_EQ(sizes.buckets, (std::vector<std::uint64_t>{10, 10, 0}));  // "/0".."/9" are 2 bytes, the rest 3

  (*d)->submit(EventBuilder().path("/segv").build(), results.on("segv"));  // one worker dies: not its counts
  ASSERT_TRUE(results.wait_for(21));
  for (int i = 0; i < 4; ++i)
    (*d)->submit(EventBuilder().path("/1x").build(), results.on("again" + std::to_string(i)));
  ASSERT_TRUE(results.wait_for(25));
  totals = metrics_when(**d, handled, 15);
  EXPECT_EQ(totals.series().at(handled).value, 15);
  EXPECT_EQ(totals.series().at(std::string("path_bytes") + '\0').count, 24U);
  EXPECT_LE(totals.series().at(std::string("workers_up") + '\0').value,
            2);  // the dead one's gauge went with it
  EXPECT_EQ((*d)->restarts(), 1U);
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

TEST(DispatcherTest, ALanesEventsRunInOrderOnOneWorkerAndLanesSpreadOverWorkers) {
  auto d = Dispatcher::start(options(2));
  ASSERT_TRUE(d) << d.error().message;
  std::mutex m;
  std::condition_variable cv;
  std::map<std::uint64_t, std::vector<std::string>> answers;  // by lane, in the order they came
  int done = 0;
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t lane = 7 + i % 2;
    (*d)->submit_in_lane(lane, EventBuilder().path("/w/" + std::to_string(i)).build(), [&, lane](Response r) {
      std::lock_guard lock(m);
      answers[lane].emplace_back(r.body());
      ++done;
      cv.notify_all();
    });
  }
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return done == 200; })) << done;
  std::map<std::uint64_t, std::string> worker_of;
  for (auto& [lane, bodies] : answers) {
    ASSERT_EQ(bodies.size(), 100U);
    const std::string worker = bodies[0].substr(0, bodies[0].find(" /"));
    worker_of[lane] = worker;
    for (std::size_t k = 0; k < bodies.size(); ++k) {
      EXPECT_EQ(bodies[k], worker + " /w/" + std::to_string(2 * k + (lane - 7)));  // one worker, in order
    }
  }
  EXPECT_NE(worker_of[7], worker_of[8]);  // two lanes, two workers
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

// Follows every request and keeps what the dispatcher tells of each.
class RecordingTap : public nimbus::engine::DispatchTap {
 public:
  struct Seen {
    std::uint64_t id = 0;
    std::string how;   // "record", "unrecorded" or "lost"
    std::string text;  // a record's text after its seq
    std::string event, calls, logs, response;
    int status = 0;  // unrecorded
  };
  bool begin(std::uint64_t /*id*/, const nimbus::Event& /*event*/) override { return true; }
  void record(std::uint64_t id, const nimbus::engine::WorkerRecord& record) override {
    add(Seen{id, "record", std::string(record.text), std::string(record.parts.event),
             std::string(record.parts.calls), std::string(record.parts.logs),
             std::string(record.parts.response)});
  }
  void unrecorded(std::uint64_t id, std::span<const std::byte> event, const Response& response,
                  std::chrono::nanoseconds /*took*/) override {
    auto view = nimbus::Event::from_bytes(event);
    add(Seen{id,
             "unrecorded",
             {},
             view ? std::string(view->path()) : "(unreadable)",
             {},
             {},
             {},
             response.status()});
  }
  void lost(std::uint64_t id) override { add(Seen{id, "lost", {}, {}, {}, {}, {}, 0}); }
  std::vector<Seen> seen() {
    std::lock_guard lock(m_);
    return seen_;
  }

 private:
  void add(Seen s) {
    std::lock_guard lock(m_);
    seen_.push_back(std::move(s));
  }
  std::mutex m_;
  std::vector<Seen> seen_;
};

// Waits until nothing is in flight and every record has come (the poller threads deliver them).
bool settled(Dispatcher& d) {
  for (int i = 0; i < 30'000 && d.in_flight() + d.records_due() > 0; ++i) std::this_thread::sleep_for(1ms);
  return d.in_flight() + d.records_due() == 0;
}

TEST(DispatcherTest, AFollowedRequestsRecordFollowsItsResponseAsTheWorkerWroteIt) {
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
  ASSERT_TRUE(settled(**d));  // the record comes after the response
  (*d)->submit(EventBuilder().path("/segv").build(), results.on("segv"));
  ASSERT_TRUE(results.wait_for(2));
  auto seen = tap.seen();
  ASSERT_EQ(seen.size(), 2U);

  const auto& ok = seen[0];
  ASSERT_EQ(ok.how, "record");
  // The text is a tape line after its seq member, and the parts are inside it.
  auto line = nimbus::Json::parse(R"({"seq":1)" + ok.text);
  EXPECT_EQ(line["event"], nimbus::Json::parse(ok.event));
  EXPECT_GE(line["timing"]["durationMs"].get<double>(), 0.0);
  auto event = nimbus::Json::parse(ok.event);
  EXPECT_EQ(event["path"], "/ok");
  EXPECT_EQ(event["headers"]["Authorization"], "[REDACTED]");  // hidden by the worker, as named
  EXPECT_EQ(event["headers"]["X-Trace"], "t-1");
  EXPECT_EQ(ok.text.find("hunter2"), std::string::npos);
  EXPECT_EQ(nimbus::Json::parse("[" + ok.calls + "]"), nimbus::Json::array());
  EXPECT_EQ(nimbus::Json::parse("[" + ok.logs + "]"),
            nimbus::Json::parse(R"([{"level":"info","message":"answered","fields":{"path":"/ok"}}])"));
  EXPECT_EQ(nimbus::Json::parse(ok.response)["body"], "ok /ok");
  EXPECT_EQ(line["response"], nimbus::Json::parse(ok.response));

  // The worker died before it could answer: the dispatcher's 500, with the event it was given.
  EXPECT_EQ(seen[1].how, "unrecorded");
  EXPECT_EQ(seen[1].status, 500);
  EXPECT_EQ(seen[1].event, "/segv");
}

TEST(DispatcherTest, ARecordTooLargeForOneMessageComesInParts) {
  RecordingTap tap;
  auto o = options(1);
  o.tap = &tap;
  o.worker.response_ring_bytes = std::size_t{1} << 16;  // messages of at most 32 KiB
  auto d = Dispatcher::start(o);
  ASSERT_TRUE(d) << d.error().message;
  Results results;
  std::string body;
  for (int i = 0; body.size() < 100'000; ++i) body += "line " + std::to_string(i) + "\n";
  (*d)->submit(EventBuilder().path("/big").body(body).build(), results.on("big"));
  (*d)->submit(EventBuilder().path("/small").build(), results.on("small"));
  ASSERT_TRUE(results.wait_for(2));
  ASSERT_TRUE(settled(**d));
  auto seen = tap.seen();
  ASSERT_EQ(seen.size(), 2U);
  ASSERT_EQ(seen[0].how, "record");
  EXPECT_GT(seen[0].text.size(), std::size_t{100'000});
  auto line = nimbus::Json::parse(R"({"seq":1)" + seen[0].text);
  EXPECT_EQ(line["event"]["body"], body);
  EXPECT_EQ(line["response"]["body"], "ok /big");
  ASSERT_EQ(seen[1].how, "record");  // the next record is whole again
  EXPECT_EQ(nimbus::Json::parse(R"({"seq":2)" + seen[1].text)["event"]["path"], "/small");
}

}  // namespace
