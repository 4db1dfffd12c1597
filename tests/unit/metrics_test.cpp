#include "nimbus/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "nimbus/testing.hpp"

namespace {

using nimbus::MetricError;
using nimbus::MetricKind;
using nimbus::Metrics;

TEST(MetricsTest, CountersGaugesAndHistogramsKeepTheirValues) {
  Metrics m;
  m.counter("orders_total").inc();
  m.counter("orders_total").inc(2.5);
  m.gauge("queue").set(7);
  m.gauge("queue").dec(2);
  m.gauge("queue").inc();
  auto& h = m.histogram("size_bytes", {}, {10, 100});
  h.observe(10);  // a bound counts in its own bucket (le)
  h.observe(11);
  h.observe(1e6);  // past the last bound: +Inf
  EXPECT_EQ(m.value("orders_total"), 3.5);
  EXPECT_EQ(m.value("queue"), 6);
  EXPECT_EQ(m.value("size_bytes"), std::nullopt);  // not a counter or gauge
  EXPECT_EQ(m.value("absent"), std::nullopt);
  auto all = m.snapshot();
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].name, "orders_total");  // sorted by name
  EXPECT_EQ(all[1].name, "queue");
  const auto& s = all[2];
  EXPECT_EQ(s.kind, MetricKind::kHistogram);
  EXPECT_EQ(s.bounds, (std::vector<double>{10, 100}));
  EXPECT_EQ(s.buckets, (std::vector<std::uint64_t>{1, 1, 1}));
  EXPECT_EQ(s.count, 3U);
  EXPECT_EQ(s.sum, 1e6 + 21);
}

TEST(MetricsTest, LabelsAreOneSeriesInAnyOrderAndAreEscaped) {
  Metrics m;
  m.counter("hits_total", {{"route", "/a"}, {"code", "200"}}).inc();
  m.counter("hits_total", {{"code", "200"}, {"route", "/a"}}).inc();
  m.counter("hits_total", {{"code", "500"}, {"route", "/a"}}).inc();
  m.counter("hits_total", {{"quote", "say \"hi\"\\\n"}}).inc();
  EXPECT_EQ(m.value("hits_total", {{"route", "/a"}, {"code", "200"}}), 2);
  EXPECT_EQ(m.size(), 3U);
  std::vector<std::string> labels;
  for (const auto& s : m.snapshot()) labels.push_back(s.labels);
  EXPECT_EQ(labels, (std::vector<std::string>{"code=\"200\",route=\"/a\"", "code=\"500\",route=\"/a\"",
                                              "quote=\"say \\\"hi\\\"\\\\\\n\""}));
}

TEST(MetricsTest, ItsReferencesStayAndCountFromManyThreads) {
  Metrics m;
  auto& c = m.counter("n_total");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        c.inc();
        m.histogram("h").observe(0.01);
      }
    });
  }
  for (int i = 0; i < 500; ++i) m.gauge("g" + std::to_string(i)).set(i);  // the map grows meanwhile
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40'000);
  EXPECT_EQ(m.histogram("h").count(), 40'000U);
}

TEST(MetricsTest, WrongUseIsAnErrorNamingTheMetric) {
  Metrics m;
  m.counter("requests_total");
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const MetricError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { (void)m.gauge("requests_total"); }),
            "metric 'requests_total' is a counter, not a gauge");
  EXPECT_NE(
      message([&] { m.counter("requests_total").inc(-1); }).find("counter 'requests_total' can only go up"),
      std::string::npos);
  EXPECT_NE(message([&] { m.counter("requests_total").inc(std::nan("")); }).find("can only go up"),
            std::string::npos);
  EXPECT_NE(message([&] { (void)m.counter("9lives"); }).find("metric name '9lives' is not a Prometheus name"),
            std::string::npos);
  EXPECT_NE(message([&] { (void)m.counter("has space"); }).find("'has space'"), std::string::npos);
  EXPECT_NE(message([&] { (void)m.counter(""); }).find("metric name ''"), std::string::npos);
  EXPECT_NE(message([&] { (void)m.counter("nimbus_events_total"); }).find("begins with nimbus_"),
            std::string::npos);
  for (const char* bad : {"function", "le", "__x", "a-b", ""}) {
    EXPECT_NE(message([&] {
                (void)m.counter("c_total", {{bad, "v"}});
              }).find("label name '" + std::string(bad)),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(message([&] {
              (void)m.counter("c_total", {{"a", "1"}, {"a", "2"}});
            }).find("label 'a' given twice"),
            std::string::npos);
  EXPECT_NE(message([&] {
              (void)m.histogram("h", {}, {1, 1});
            }).find("finite and increasing"),
            std::string::npos);
  EXPECT_NE(message([&] {
              (void)m.histogram("h", {}, {1, INFINITY});
            }).find("finite and increasing"),
            std::string::npos);
  (void)m.histogram("h", {}, {1, 2});
  EXPECT_EQ(message([&] {
              (void)m.histogram("h", {{"a", "1"}}, {1, 3});
            }),
            "histogram 'h' has other buckets already");
  EXPECT_EQ(message([&] { (void)m.histogram("h", {{"a", "1"}}); }), "no error");  // no buckets asked: its own
  EXPECT_EQ(m.histogram("h", {{"a", "1"}}).bounds(), (std::vector<double>{1, 2}));
  EXPECT_NE(message([&] { m.histogram("h").observe(std::nan("")); }).find("cannot observe NaN"),
            std::string::npos);
  EXPECT_EQ(m.size(), 3U);  // nothing was made by a refused call
}

TEST(MetricsTest, ASeriesTooManyIsRefused) {
  Metrics m;
  for (std::size_t i = 0; i < Metrics::kMaxSeries; ++i)
    m.counter("c_total", {{"id", std::to_string(i)}}).inc();
  EXPECT_THROW((void)m.counter("c_total", {{"id", "one more"}}), MetricError);
  EXPECT_NO_THROW(m.counter("c_total", {{"id", "7"}}).inc());  // an existing one still counts
  EXPECT_EQ(m.value("c_total", {{"id", "7"}}), 2);
}

TEST(MetricsTest, TakeChangedSaysWhetherAValueMovedSinceLastAsked) {
  Metrics m;
  EXPECT_FALSE(m.take_changed());
  auto& g = m.gauge("g");
  EXPECT_TRUE(m.take_changed());  // a new series
  EXPECT_FALSE(m.take_changed());
  g.set(1);
  EXPECT_TRUE(m.take_changed());
  EXPECT_FALSE(m.take_changed());
}

TEST(MetricsTest, AFakeContextsMetricsAreTheFunctionsToAssert) {
  nimbus::testing::FakeContext ctx;
  nimbus::Context& as_function_sees_it = ctx;
  as_function_sees_it.metrics().counter("seen_total").inc();
  EXPECT_EQ(ctx.metrics().value("seen_total"), 1);
}

}  // namespace
