// The HTTP pieces: the parser wrapper, the response encoder, the input buffer;
// and the metrics page.
#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>
#include <limits>
#include <string>

#include "../../engine/src/processor/metrics.hpp"
#include "../../engine/src/triggers/http/http_parser.hpp"
#include "nimbus/metrics.hpp"

namespace {

using nimbus::Response;
using nimbus::engine::http::InputBuffer;
using nimbus::engine::http::RequestParser;
using nimbus::engine::http::RequestParts;

struct Parsed {
  boost::beast::error_code ec;
  std::size_t consumed = 0;
  bool done = false;
};

// Parses one request from `text` the way the processor does: in place, eagerly.
Parsed parse(const std::string& text, RequestParts& parts, std::uint64_t body_limit = 1 << 20) {
  RequestParser p(parts);
  p.header_limit(8192);
  p.body_limit(body_limit);
  p.eager(true);
  p.rebase(text.data(), text.size());
  Parsed r;
  r.consumed = p.put(boost::asio::const_buffer(text.data(), text.size()), r.ec);
  r.done = p.is_done();
  return r;
}

TEST(HttpParserTest, RecordsSlicesOfTheInput) {
  std::string text =
      "POST /greet?name=Ada HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Name: Bo\r\n"
      "Content-Length: 7\r\n\r\n{\"a\":1}GET / HTTP/1.1\r\n\r\n";
  RequestParts parts;
  Parsed r = parse(text, parts);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(r.done);
  const char* base = text.data();
  EXPECT_EQ(parts.method.in(base), "POST");
  EXPECT_EQ(parts.target.in(base), "/greet?name=Ada");
  EXPECT_EQ(parts.body_in(base), "{\"a\":1}");
  ASSERT_TRUE(parts.has_content_type);
  EXPECT_EQ(parts.content_type.in(base), "application/json");
  ASSERT_EQ(parts.headers.size(), 4U);
  EXPECT_EQ(parts.headers[2].first.in(base), "X-Name");
  EXPECT_EQ(parts.headers[2].second.in(base), "Bo");
  // It stops at the end of the first request: the pipelined one is left for the next parser.
  EXPECT_EQ(text.substr(r.consumed), "GET / HTTP/1.1\r\n\r\n");
}

TEST(HttpParserTest, CopiesAChunkedBody) {
  std::string text =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
      "world\r\n0\r\n\r\n";
  RequestParts parts;
  Parsed r = parse(text, parts);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(parts.chunked);
  EXPECT_EQ(parts.body_in(text.data()), "hello world");
}

TEST(HttpParserTest, IncompleteInputAsksForMore) {
  std::string text = "GET / HTTP/1.1\r\nHost: x\r\n";
  RequestParts parts;
  Parsed r = parse(text, parts);
  EXPECT_EQ(r.ec, boost::beast::http::error::need_more);
  EXPECT_FALSE(r.done);
}

TEST(HttpParserTest, ExpectContinueIsNoticed) {
  std::string text = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n";
  RequestParts parts;
  Parsed r = parse(text, parts);
  EXPECT_TRUE(!r.ec || r.ec == boost::beast::http::error::need_more) << r.ec.message();
  EXPECT_FALSE(r.done);  // the header is done, the body is not here yet
  EXPECT_TRUE(parts.expect_continue);
}

TEST(HttpParserTest, ErrorsMapToStatuses) {
  RequestParts parts;
  Parsed big = parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world", parts, 10);
  EXPECT_EQ(nimbus::engine::http::describe_parse_error(big.ec).first, 413);
  Parsed header = parse("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", parts);
  EXPECT_EQ(nimbus::engine::http::describe_parse_error(header.ec).first, 431);
  Parsed folded = parse("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", parts);
  EXPECT_TRUE(folded.ec);
  EXPECT_EQ(nimbus::engine::http::describe_parse_error(folded.ec).first, 400);
  Parsed garbage = parse("GET / HTTP/1.1\r\nHo st: x\r\n\r\n", parts);
  auto [status, message] = nimbus::engine::http::describe_parse_error(garbage.ec);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(message.rfind("malformed request: ", 0), 0U) << message;
}

TEST(HttpResponseTest, EncodesStatusHeadersAndBody) {
  std::string out;
  Response r = Response::json({{"a", 1}}, 201).with_header("X-Id", "7");
  nimbus::engine::http::append_response(out, r, "Fri, 27 Nov 2026 16:17:50 GMT", true, false);
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nServer: nimbus\r\nDate: Fri, 27 Nov 2026 16:17:50 GMT\r\n"
            "Content-Type: application/json\r\nX-Id: 7\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(HttpResponseTest, LeavesOutFramingAndUnsafeHeaders) {
  std::string out;
  Response r = Response::text("hi")
                   .with_header("Content-Length", "999")
                   .with_header("Connection", "upgrade")
                   .with_header("X-Split", "a\r\nSet-Cookie: evil=1")
                   .with_header("X-Ok", "fine");
  nimbus::engine::http::append_response(out, r, "D", false, false);
  EXPECT_EQ(out.find("999"), std::string::npos);
  EXPECT_EQ(out.find("evil"), std::string::npos);
  EXPECT_EQ(out.find("upgrade"), std::string::npos);
  EXPECT_NE(out.find("X-Ok: fine\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("Content-Length: 2\r\nConnection: close\r\n\r\nhi"));
}

TEST(HttpResponseTest, NoBodyForHeadOr204) {
  std::string head;
  nimbus::engine::http::append_response(head, Response::text("hello"), "D", true, true);
  EXPECT_TRUE(head.ends_with("Content-Length: 5\r\n\r\n"));
  std::string empty;
  nimbus::engine::http::append_response(empty, Response::empty(204), "D", true, false);
  EXPECT_EQ(empty.find("Content-Length"), std::string::npos);
  EXPECT_TRUE(empty.ends_with("\r\n\r\n"));
}

TEST(InputBufferTest, GrowsKeepsAndConsumes) {
  InputBuffer b;
  std::memcpy(b.prepare(5), "hello", 5);
  b.commit(5);
  std::memcpy(b.prepare(100'000), " world", 6);  // a reallocation keeps what was there
  b.commit(6);
  EXPECT_EQ(std::string(b.data(), b.size()), "hello world");
  b.consume(6);
  EXPECT_EQ(std::string(b.data(), b.size()), "world");
  b.clear();
  EXPECT_EQ(b.size(), 0U);
}

TEST(MetricsTest, RendersTheFunctionsMetricsSummedWithItsName) {
  nimbus::Metrics a;
  nimbus::Metrics b;
  for (nimbus::Metrics* m : {&a, &b}) {
    m->counter("orders_total", {{"kind", "book"}}).inc(2);
    m->gauge("up").set(1);
    m->histogram("size", {}, {1, 10}).observe(5);
  }
  b.histogram("size").observe(50);
  b.gauge("temperature").set(std::numeric_limits<double>::infinity());
  nimbus::engine::MetricTotals dead;
  dead.add(a.snapshot(), false);  // a replaced worker: its counts, not its gauges
  nimbus::engine::MetricTotals totals;
  totals.add(a.snapshot());
  totals.add(b.snapshot());
  totals.add(dead);
  nimbus::engine::TriggerStats stats;
  const std::vector<nimbus::detail::TriggerFigures> figures = {{"web", &stats, 0, 0, 2}};
  const std::string text = nimbus::detail::render_metrics(figures, {}, true, {"shop \"eu\"", &totals});
  const auto tail = text.substr(text.find("nimbus_ready 1\n") + 15);
  EXPECT_EQ(tail,
            "# TYPE orders_total counter\n"
            "orders_total{function=\"shop \\\"eu\\\"\",kind=\"book\"} 6\n"
            "# TYPE size histogram\n"
            "size_bucket{function=\"shop \\\"eu\\\"\",le=\"1\"} 0\n"
            "size_bucket{function=\"shop \\\"eu\\\"\",le=\"10\"} 3\n"
            "size_bucket{function=\"shop \\\"eu\\\"\",le=\"+Inf\"} 4\n"
            "size_sum{function=\"shop \\\"eu\\\"\"} 65\n"
            "size_count{function=\"shop \\\"eu\\\"\"} 4\n"
            "# TYPE temperature gauge\n"
            "temperature{function=\"shop \\\"eu\\\"\"} +Inf\n"
            "# TYPE up gauge\n"
            "up{function=\"shop \\\"eu\\\"\"} 2\n");
}

TEST(MetricsTest, RendersPrometheusText) {
  nimbus::engine::TriggerStats m;
  m.record(200, std::chrono::microseconds(80));
  m.record(200, std::chrono::milliseconds(3));
  m.record(504, std::chrono::seconds(20));
  nimbus::engine::TriggerStats other;
  other.record(404, std::chrono::milliseconds(1));
  const std::vector<nimbus::detail::TriggerFigures> figures = {{"web", &m, 2, 5, 4},
                                                               {"cron", &other, 0, 0, 1}};
  const std::vector<nimbus::detail::SinkFigures> sinks = {{"console", 0, 0}, {"http", 1, 17}};
  std::string text = nimbus::detail::render_metrics(figures, sinks, true);
  EXPECT_NE(text.find("nimbus_log_records_dropped_total{sink=\"http\",index=\"1\"} 17\n"), std::string::npos);
  EXPECT_NE(text.find("nimbus_log_records_dropped_total{sink=\"console\",index=\"0\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("nimbus_events_total{trigger=\"web\",status=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nimbus_events_total{trigger=\"web\",status=\"504\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("nimbus_event_duration_seconds_bucket{trigger=\"web\",le=\"0.0001\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("nimbus_event_duration_seconds_bucket{trigger=\"web\",le=\"0.005\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("nimbus_event_duration_seconds_bucket{trigger=\"web\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("nimbus_event_duration_seconds_count{trigger=\"web\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("nimbus_worker_restarts_total{trigger=\"web\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("nimbus_queue_depth{trigger=\"web\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("nimbus_workers{trigger=\"web\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("nimbus_ready 1\n"), std::string::npos);
  // Several triggers: each metric's HELP once, a line per trigger.
  EXPECT_NE(text.find("nimbus_events_total{trigger=\"cron\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("nimbus_workers{trigger=\"cron\"} 1\n"), std::string::npos);
  std::size_t helps = 0;
  for (auto at = text.find("# HELP nimbus_workers "); at != std::string::npos;
       at = text.find("# HELP nimbus_workers ", at + 1)) {
    ++helps;
  }
  EXPECT_EQ(helps, 1U);
}

}  // namespace
