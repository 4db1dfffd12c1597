#include <gtest/gtest.h>

#include <cstring>
#include <nimbus/detail/event_data.hpp>
#include <nimbus/testing/event_builder.hpp>

namespace {

using nimbus::Event;
using nimbus::detail::EventBuffer;
using nimbus::detail::EventData;
using nimbus::testing::EventBuilder;

nimbus::detail::EventData full_event() {
  nimbus::detail::EventData d;
  d.id = "ev-1";
  d.trigger_kind = "http";
  d.trigger_name = "web";
  d.content_type = "application/json";
  d.method = "POST";
  d.path = "/greet";
  d.url = "/greet?lang=en";
  d.headers = {{"X-Name", "Ada"}, {"Accept", "*/*"}};
  d.fields = {{"lang", "en"}};
  d.body = R"({"count":2})";
  d.timestamp = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789LL));
  d.ce_type = "com.example.greet";
  d.ce_source = "/tests";
  d.ce_spec_version = "1.0";
  d.ce_subject = "ada";
  d.ce_time = "2026-01-01T00:00:00Z";
  d.ce_data_schema = "https://example.com/greet.json";
  d.ce_extensions = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                     {"tenant", "7"}};
  d.has_stream = true;
  d.topic = "greetings";
  d.partition = 3;
  d.num_shards = 8;
  d.offset = 42;
  d.last_in_batch = true;
  return d;
}

TEST(EventTest, RoundTripsEveryAttribute) {
  nimbus::detail::EventBuffer buf(full_event());
  const Event& e = buf.event();
  EXPECT_EQ(e.id(), "ev-1");
  EXPECT_EQ(e.trigger_kind(), "http");
  EXPECT_EQ(e.trigger_name(), "web");
  EXPECT_EQ(e.content_type(), "application/json");
  EXPECT_EQ(e.method(), "POST");
  EXPECT_EQ(e.path(), "/greet");
  EXPECT_EQ(e.url(), "/greet?lang=en");
  EXPECT_EQ(e.body(), R"({"count":2})");
  EXPECT_EQ(e.json()["count"], 2);
  EXPECT_EQ(e.field("lang"), "en");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::nanoseconds>(e.timestamp().time_since_epoch()).count(),
            1'700'000'000'123'456'789LL);
  ASSERT_TRUE(e.cloud_event());
  EXPECT_EQ(e.cloud_event()->type, "com.example.greet");
  EXPECT_EQ(e.cloud_event()->source, "/tests");
  EXPECT_EQ(e.cloud_event()->specversion, "1.0");
  EXPECT_EQ(e.cloud_event()->subject, "ada");
  EXPECT_EQ(e.cloud_event()->time, "2026-01-01T00:00:00Z");
  EXPECT_EQ(e.cloud_event()->id, "ev-1");
  EXPECT_EQ(e.cloud_event()->datacontenttype, "application/json");
  EXPECT_EQ(e.cloud_event()->dataschema, "https://example.com/greet.json");
  const auto ce = e.cloud_event();
  ASSERT_EQ(ce->extensions.size(), 2U);
  EXPECT_EQ(ce->extensions.find("tenant"), "7");
  EXPECT_EQ(ce->extensions.at(0).first, "traceparent");
  EXPECT_EQ(e.type(), "com.example.greet");
  EXPECT_EQ(e.version(), "1.0");
  EXPECT_EQ(e.type_version(), "");
  ASSERT_TRUE(e.stream());
  EXPECT_EQ(e.stream()->topic, "greetings");
  EXPECT_EQ(e.stream()->shard_id, 3);
  EXPECT_EQ(e.stream()->num_shards, 8);
  EXPECT_EQ(e.stream()->offset, 42);
  EXPECT_EQ(e.topic(), "greetings");
  EXPECT_EQ(e.shard_id(), 3);
  EXPECT_EQ(e.num_shards(), 8);
  EXPECT_EQ(e.offset(), 42);
  EXPECT_TRUE(e.last_in_batch());
  // Headers, fields and extensions are three tables: none reads into another.
  EXPECT_EQ(e.headers().size(), 2U);
  EXPECT_EQ(e.fields().size(), 1U);
  EXPECT_FALSE(e.header("tenant"));

  nimbus::detail::EventData back = nimbus::detail::to_event_data(e);
  EXPECT_EQ(back.encode(), full_event().encode());
}

TEST(EventTest, PartsEncodeExactlyAsOwnedData) {
  const nimbus::detail::EventData d = full_event();
  std::vector<nimbus::detail::EventParts::Pair> headers(d.headers.begin(), d.headers.end());
  std::vector<nimbus::detail::EventParts::Pair> fields(d.fields.begin(), d.fields.end());
  std::vector<nimbus::detail::EventParts::Pair> extensions(d.ce_extensions.begin(), d.ce_extensions.end());
  nimbus::detail::EventParts p{
      d.id,         d.trigger_kind,    d.trigger_name, d.content_type, d.method,         d.path,
      d.url,        headers,           fields,         d.body,         d.timestamp,      d.ce_type,
      d.ce_source,  d.ce_spec_version, d.ce_subject,   d.ce_time,      d.ce_data_schema, extensions,
      d.has_stream, d.topic,           d.partition,    d.num_shards,   d.offset,         d.last_in_batch};
  std::vector<std::byte> out(p.encoded_size());
  p.encode_to(out);
  EXPECT_EQ(out, d.encode());

  std::vector<std::byte> kept(3, std::byte{0x55});  // a trigger's buffer, reused: resized to fit
  const Event view = p.encode_into(kept);
  EXPECT_EQ(kept, d.encode());
  EXPECT_EQ(view.bytes().data(), kept.data());
  EXPECT_EQ(nimbus::detail::to_event_data(view), d);
}

TEST(EventTest, HeaderLookupIgnoresCase) {
  auto buf = EventBuilder().header("X-Name", "Ada").header("content-length", "3").build();
  const Event& e = buf;
  EXPECT_EQ(e.header("x-name"), "Ada");
  EXPECT_EQ(e.header("X-NAME"), "Ada");
  EXPECT_EQ(e.header("Content-Length"), "3");
  EXPECT_FALSE(e.header("X-Missing"));
  std::vector<std::string> names;
  for (auto [name, value] : e.headers()) names.emplace_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"X-Name", "content-length"}));
}

TEST(EventTest, IsAViewOfItsBytes) {
  auto bytes = full_event().encode();
  auto e = Event::from_bytes(bytes);
  ASSERT_TRUE(e) << e.error().message;
  const char* begin = reinterpret_cast<const char*>(bytes.data());
  EXPECT_GE(e->body().data(), begin);
  EXPECT_LT(e->body().data(), begin + bytes.size());
  EXPECT_EQ(e->body_bytes().size(), e->body().size());
}

TEST(EventTest, AbsentOptionalAttributes) {
  auto buf = EventBuilder().build();
  EXPECT_FALSE(buf.event().cloud_event());
  EXPECT_FALSE(buf.event().stream());
  EXPECT_TRUE(buf.event().body().empty());
}

TEST(EventTest, BinaryBodySurvives) {
  std::string body("\0\x01\xff\x7f", 4);
  auto buf = EventBuilder().body(body).content_type("application/octet-stream").build();
  EXPECT_EQ(buf.event().body(), body);
}

TEST(EventTest, RejectsTruncatedAndCorruptBytes) {
  auto bytes = full_event().encode();
  auto short_view = Event::from_bytes(std::span(bytes).first(10));
  ASSERT_FALSE(short_view);
  EXPECT_NE(short_view.error().message.find("shorter"), std::string::npos);

  auto truncated = Event::from_bytes(std::span(bytes).first(bytes.size() - 1));
  ASSERT_FALSE(truncated);

  auto bad_magic = bytes;
  bad_magic[0] = std::byte{0};
  EXPECT_FALSE(Event::from_bytes(bad_magic));

  // A string reference pointing past the end.
  auto bad_ref = bytes;
  nimbus::detail::EventHeader h{};
  std::memcpy(&h, bad_ref.data(), sizeof h);
  h.strings[nimbus::detail::kBody].length = h.total_size;
  std::memcpy(bad_ref.data(), &h, sizeof h);
  auto r = Event::from_bytes(bad_ref);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("outside"), std::string::npos);
}

TEST(EventTest, BufferCopiesStayValid) {
  nimbus::detail::EventBuffer a(full_event());
  nimbus::detail::EventBuffer b = a;
  nimbus::detail::EventBuffer c(nimbus::detail::EventData{});
  c = b;
  EXPECT_EQ(c.event().header("x-name"), "Ada");
  EXPECT_NE(c.event().body().data(), a.event().body().data());
  nimbus::detail::EventBuffer d = std::move(a);
  EXPECT_EQ(d.event().path(), "/greet");
}

TEST(EventTest, InvalidJsonBodyThrowsOnAccess) {
  auto buf = EventBuilder().body("{not json").build();
  EXPECT_THROW((void)buf.event().json(), nimbus::Json::parse_error);
}

TEST(EventBuilderTest, TheMethodIsGetWithoutABodyAndPostWithOneUnlessTold) {
  // As event files and Python's make_event say it.
  using nimbus::testing::EventBuilder;
  EXPECT_EQ(EventBuilder().build().event().method(), "GET");
  EXPECT_EQ(EventBuilder().json({{"a", 1}}).build().event().method(), "POST");
  EXPECT_EQ(EventBuilder().body("x").method("PUT").build().event().method(), "PUT");
  EXPECT_EQ(EventBuilder().method("DELETE").build().event().method(), "DELETE");
}

}  // namespace
