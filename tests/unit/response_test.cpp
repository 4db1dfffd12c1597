#include <gtest/gtest.h>

#include <nimbus/response.hpp>

namespace {

using nimbus::Response;

TEST(ResponseTest, TextDefaults) {
  auto r = Response::text("hi");
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body(), "hi");
}

TEST(ResponseTest, JsonSerializes) {
  auto r = Response::json({{"hello", "world"}}, 201);
  EXPECT_EQ(r.status(), 201);
  EXPECT_EQ(r.content_type(), "application/json");
  EXPECT_EQ(nimbus::Json::parse(r.body())["hello"], "world");
}

TEST(ResponseTest, BytesKeepsEveryByte) {
  std::string raw("\0a\xff", 3);
  auto r = Response::bytes(raw, "image/png");
  EXPECT_EQ(r.body(), raw);
  EXPECT_EQ(r.content_type(), "image/png");
}

TEST(ResponseTest, FluentHeadersAndCaseInsensitiveLookup) {
  auto r = Response::text("x")
               .with_status(404)
               .with_header("Cache-Control", "no-store")
               .with_header("content-type", "text/html");
  EXPECT_EQ(r.status(), 404);
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(r.header("Content-Type"), "text/html");
  EXPECT_EQ(r.headers().size(), 1U);
  EXPECT_FALSE(r.header("X-Other"));
}

TEST(ResponseTest, EmptyHasNoBody) {
  auto r = Response::empty();
  EXPECT_EQ(r.status(), 204);
  EXPECT_TRUE(r.body().empty());
  EXPECT_FALSE(r.header("content-type"));
}

TEST(ResponseTest, AJsonBodyIsJsonWhateverBytesItsStringsHold) {
  const auto r = nimbus::Response::json({{"raw", std::string("\xc0\xaf ok \xff")}});
  EXPECT_EQ(r.body(), "{\"raw\":\"\xEF\xBF\xBD\xEF\xBF\xBD ok \xEF\xBF\xBD\"}");
  EXPECT_TRUE(nimbus::Json::accept(r.body()));
}

}  // namespace

TEST(ResponseTest, AsCloudEventSetsBinaryModeHeaders) {
  auto r = nimbus::Response::json({{"ok", true}})
               .as_cloud_event("r-1", "/svc", "com.example.done")
               .with_header("ce-subject", "17");
  EXPECT_EQ(r.header("ce-specversion"), "1.0");
  EXPECT_EQ(r.header("ce-id"), "r-1");
  EXPECT_EQ(r.header("ce-source"), "/svc");
  EXPECT_EQ(r.header("ce-type"), "com.example.done");
  EXPECT_EQ(r.header("ce-subject"), "17");
  EXPECT_EQ(r.content_type(), "application/json");  // the data's content type
}
