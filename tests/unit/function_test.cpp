#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nimbus/nimbus.hpp>
#include <nimbus/testing.hpp>
#include <span>
#include <stdexcept>

#include "nimbus/detail/context_access.hpp"

namespace {

using nimbus::Json;
using nimbus::LogLevel;
using nimbus::Response;
using nimbus::testing::EventBuilder;
using nimbus::testing::FakeContext;
using nimbus::testing::invoke;

std::string returns_string(nimbus::Context&, const nimbus::Event& e) { return std::string(e.path()); }
Json returns_json(nimbus::Context&, const nimbus::Event&) { return {{"a", 1}}; }
Response throws(nimbus::Context&, const nimbus::Event&) { throw std::runtime_error("boom"); }
Response throws_int(nimbus::Context&, const nimbus::Event&) { throw 42; }

TEST(FunctionTest, StringBecomesText) {
  FakeContext ctx;
  auto r = invoke<returns_string>(ctx, EventBuilder().path("/x").build());
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body(), "/x");
  EXPECT_EQ(r.content_type(), "text/plain; charset=utf-8");
}

TEST(FunctionTest, JsonBecomesJsonResponse) {
  FakeContext ctx;
  auto r = invoke<returns_json>(ctx, EventBuilder().build());
  EXPECT_EQ(r.content_type(), "application/json");
  EXPECT_EQ(Json::parse(r.body()), (Json{{"a", 1}}));
}

TEST(FunctionTest, ExceptionBecomes500AndErrorRecord) {
  FakeContext ctx;
  auto r = invoke<throws>(ctx, EventBuilder().id("e7").build());
  EXPECT_EQ(r.status(), 500);
  EXPECT_EQ(r.body(), "handler error: boom");
  ASSERT_EQ(ctx.records().size(), 1U);
  EXPECT_EQ(ctx.records()[0].level, LogLevel::kError);
  EXPECT_EQ(ctx.records()[0].fields["error"], "boom");
  EXPECT_EQ(ctx.records()[0].fields["event_id"], "e7");
}

TEST(FunctionTest, NonStandardExceptionIsContained) {
  FakeContext ctx;
  auto r = invoke<throws_int>(ctx, EventBuilder().build());
  EXPECT_EQ(r.status(), 500);
  EXPECT_EQ(r.body(), "handler error: unknown exception");
}

void failing_init(nimbus::Context&) { throw std::runtime_error("no model"); }
void good_init(nimbus::Context& ctx) { ctx.user_data() = 5; }

TEST(FunctionTest, InitHookResult) {
  FakeContext ctx;
  nimbus::detail::FunctionEntry entry{
      nimbus::detail::kAbiVersion, sizeof(nimbus::detail::FunctionEntry), "f",
      nimbus::kSdkVersion,         &nimbus::detail::adapt<returns_json>,  &failing_init};
  auto bad = nimbus::detail::call_init(entry, ctx);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "init hook of 'f' failed: no model");
  entry.init = &good_init;
  EXPECT_TRUE(nimbus::detail::call_init(entry, ctx));
  EXPECT_EQ(*ctx.user_data<int>(), 5);
  entry.init = nullptr;
  EXPECT_TRUE(nimbus::detail::call_init(entry, ctx));
}

Response uses_kv(nimbus::Context& ctx, const nimbus::Event& e) {
  auto& kv = ctx.kv("seen");
  auto name = std::string(e.header("X-Name").value_or("world"));
  bool first = !kv.get(name).has_value();
  kv.put(name, "1", std::chrono::seconds(60));
  return Response::json({{"first", first}});
}
// Copies an upload to its place in the store, streamed; answers what is there now.
Response files_upload(nimbus::Context& ctx, const nimbus::Event& e) {
  auto& files = ctx.objects("files");
  std::string_view body = e.body();
  files.write(std::string("uploads/") + std::string(e.path()), [&](std::span<char> room) {
    const std::size_t n = std::min(room.size(), body.size());
    std::copy_n(body.data(), n, room.data());
    body.remove_prefix(n);
    return n;
  });
  return Response::json({{"stored", files.list("uploads/")}});
}

TEST(FunctionTest, MockedBindingSeesTheCalls) {
  using ::testing::Eq;
  using ::testing::Optional;
  using ::testing::Return;
  FakeContext ctx;
  auto kv = std::make_shared<nimbus::testing::MockKeyValueStore>();
  ctx.add_binding("seen", kv);
  EXPECT_CALL(*kv, get(Eq("Ada"))).WillOnce(Return(std::optional<std::string>("1")));
  EXPECT_CALL(*kv, put(Eq("Ada"), Eq("1"), Optional(std::chrono::milliseconds(60000))));
  auto r = invoke<uses_kv>(ctx, EventBuilder().header("X-Name", "Ada").build());
  EXPECT_EQ(Json::parse(r.body())["first"], false);
}

TEST(FunctionTest, MockedObjectStoreSeesWholeObjectsThoughTheHandlerStreams) {
  using ::testing::Eq;
  using ::testing::Return;
  FakeContext ctx;
  auto files = std::make_shared<nimbus::testing::MockObjectStore>();
  ctx.add_binding("files", files);
  const std::string upload(100 * 1024, 'u');
  EXPECT_CALL(*files, put(Eq("uploads/a.bin"), Eq(upload)));
  EXPECT_CALL(*files, list(Eq("uploads/"))).WillOnce(Return(std::vector<std::string>{"uploads/a.bin"}));
  auto r = invoke<files_upload>(ctx, EventBuilder().path("a.bin").body(upload).build());
  EXPECT_EQ(Json::parse(r.body())["stored"], Json::array({"uploads/a.bin"}));

  FakeContext real;  // the same handler against the in-memory store
  auto memory = real.add_memory_objects("files");
  (void)invoke<files_upload>(real, EventBuilder().path("b.bin").body("bee").build());
  EXPECT_EQ(memory->get("uploads/b.bin"), "bee");
}

}  // namespace
