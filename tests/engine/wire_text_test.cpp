// The text forms a client sends and reads back: CloudEvents written in binary and structured
// mode (read back by the trigger's own readers), log records read back from X-Nimbus-Logs and
// X-Nuclio-Logs, and URLs joined for a request.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "nimbus/engine/http_client.hpp"
#include "nimbus/format/cloud_event.hpp"
#include "nimbus/format/log_json.hpp"
#include "nimbus/json.hpp"

namespace nimbus {
namespace {

detail::EventData a_cloud_event() {
  detail::EventData d;
  d.id = "ce 1%";
  d.ce_source = "/shop";
  d.ce_type = "com.example.order.created";
  d.ce_spec_version = "1.0";
  d.ce_subject = "caf\xc3\xa9 \"17\"";
  d.ce_time = "2026-12-01T10:00:00Z";
  d.ce_data_schema = "https://example.com/order.json";
  d.ce_extensions = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  d.content_type = "application/json";
  d.body = R"({"order":17})";
  return d;
}

void expect_same_attributes(const detail::EventData& read, const detail::EventData& sent) {
  EXPECT_EQ(read.id, sent.id);
  EXPECT_EQ(read.ce_source, sent.ce_source);
  EXPECT_EQ(read.ce_type, sent.ce_type);
  EXPECT_EQ(read.ce_spec_version, sent.ce_spec_version);
  EXPECT_EQ(read.ce_subject, sent.ce_subject);
  EXPECT_EQ(read.ce_time, sent.ce_time);
  EXPECT_EQ(read.ce_data_schema, sent.ce_data_schema);
  EXPECT_EQ(read.ce_extensions, sent.ce_extensions);
}

TEST(CloudEventWritingTest, BinaryModeHeadersReadBackAsTheSameAttributes) {
  const auto sent = a_cloud_event();
  const auto headers = format::binary_cloud_event_headers(sent);
  ASSERT_GE(headers.size(), 4U);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"ce-id", "ce%201%25"}));
  for (const auto& [name, value] : headers) {
    for (const char c : value) EXPECT_TRUE(c > 0x20 && c < 0x7F && c != '"') << name << ": " << value;
  }
  format::BinaryCloudEvent binary;
  for (const auto& [name, value] : headers) binary.add(name, value);
  detail::EventData read;
  ASSERT_TRUE(binary.apply(read));
  expect_same_attributes(read, sent);
}

TEST(CloudEventWritingTest, StructuredModeReadsBackWithItsData) {
  auto sent = a_cloud_event();
  detail::EventData read;
  ASSERT_TRUE(format::read_structured_cloud_event(format::structured_cloud_event(sent), read));
  expect_same_attributes(read, sent);
  EXPECT_EQ(Json::parse(read.body), Json::parse(sent.body));
  EXPECT_EQ(Json::parse(format::structured_cloud_event(sent))["data"], (Json{{"order", 17}}));

  sent.content_type = "text/plain";  // text stays text
  sent.body = "hello";
  ASSERT_TRUE(format::read_structured_cloud_event(format::structured_cloud_event(sent), read));
  EXPECT_EQ(read.body, "hello");
  EXPECT_EQ(read.content_type, "text/plain");

  sent.content_type = "application/octet-stream";  // bytes go as data_base64
  sent.body = std::string("\x00\x01\xff", 3);
  const Json object = Json::parse(format::structured_cloud_event(sent));
  EXPECT_EQ(object["data_base64"], "AAH/");
  EXPECT_FALSE(object.contains("data"));
  ASSERT_TRUE(format::read_structured_cloud_event(object.dump(), read));
  EXPECT_EQ(read.body, sent.body);

  sent.content_type = "application/json";  // JSON that does not parse is sent as text, not spliced in
  sent.body = "{oops";
  EXPECT_EQ(Json::parse(format::structured_cloud_event(sent))["data"], "{oops");
}

TEST(LogJsonReadingTest, BothShapesReadBackAsTheRecordWritten) {
  LogRecord record;
  record.level = LogLevel::kWarn;
  record.message = "slow";
  record.fields = Json{{"took_ms", 12}, {"name", "Ada"}};
  record.logger = "db";
  record.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764583200123));
  std::string scratch;
  for (const bool nuclio : {false, true}) {
    format::LogJsonStyle style;
    style.time = true;
    if (nuclio) {
      style.shape = format::LogJsonStyle::Shape::kNuclio;
      style.name = "hello";
    }
    std::string text;
    format::append_log_json(text, format::log_line(record, scratch), style);
    auto read = format::parse_log_json(Json::parse(text));
    ASSERT_TRUE(read) << text;
    EXPECT_EQ(read->level, record.level) << text;
    EXPECT_EQ(read->message, record.message);
    EXPECT_EQ(read->fields, record.fields) << text;  // nuclio's "name_" is "name" again
    EXPECT_EQ(read->logger, record.logger);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(read->time - record.time).count(), 0);
  }
}

TEST(LogJsonReadingTest, ARecordWithoutATimeGetsTheOneGivenAndBadOnesSayWhy) {
  const auto now = std::chrono::system_clock::now();
  auto read = format::parse_log_json(Json{{"level", "info"}, {"message", "m"}}, now);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->time, now);
  EXPECT_EQ(format::parse_log_json(Json::array()).error().message, "a log record is not a JSON object");
  EXPECT_EQ(format::parse_log_json(Json{{"message", "m"}}).error().message,
            R"(a log record has no "level" string)");
  EXPECT_EQ(format::parse_log_json(Json{{"level", "loud"}, {"message", "m"}}).error().message,
            "a log record's level 'loud' is not a level");
  EXPECT_EQ(format::parse_log_json(Json{{"level", "info"}}).error().message,
            R"(a log record has no "message" string)");
  EXPECT_EQ(format::parse_log_json(Json{{"level", "info"}, {"message", "m"}, {"fields", 3}}).error().message,
            R"(a log record's "fields" is not an object)");
}

TEST(HttpClientTest, UrlsJoinWithOneSlash) {
  EXPECT_EQ(engine::join_url("http://h:8080", "/orders?x=1"), "http://h:8080/orders?x=1");
  EXPECT_EQ(engine::join_url("http://h:8080/", "orders"), "http://h:8080/orders");
  EXPECT_EQ(engine::join_url("http://h:8080/api//", "//v1"), "http://h:8080/api/v1");
  EXPECT_EQ(engine::join_url("http://h:8080", ""), "http://h:8080/");
}

TEST(HttpClientTest, ARefusedConnectionIsAnErrorNamingTheUrl) {
  FunctionCall call;
  auto r = engine::http_call("http://127.0.0.1:1/x", call, std::chrono::milliseconds(2000));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("http://127.0.0.1:1/x: "), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace nimbus
