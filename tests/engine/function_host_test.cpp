// FunctionHost: the one place a function is set up and called.
#include "nimbus/engine/function_host.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "nimbus/testing/event_builder.hpp"
#include "nimbus/testing/fake_context.hpp"

namespace {

using nimbus::Json;
using nimbus::engine::BindingSpec;
using nimbus::engine::FunctionHost;
using nimbus::engine::HostOptions;
using nimbus::testing::EventBuilder;

std::string fixture(const std::string& name) { return std::string(NIMBUS_FIXTURE_DIR) + "/" + name; }

HostOptions options_for(const std::string& library, const std::string& function) {
  HostOptions o;
  o.config.name = "fn";
  o.config.function = function;
  o.config.file = "dir/function.yaml";
  o.library = fixture(library);
  return o;
}

auto far() { return std::chrono::steady_clock::now() + std::chrono::seconds(30); }

// Records the binding calls it sees.
class Calls final : public nimbus::detail::BindingObserver {
 public:
  std::optional<Json> answer(const nimbus::detail::BindingCall& /*call*/) override { return std::nullopt; }
  void completed(const nimbus::detail::BindingCall& call, std::string_view result,
                 const std::string* /*error*/) override {
    seen.push_back(std::string(call.operation) + " " + std::string(call.arguments) + " -> " +
                   std::string(result));
  }
  std::vector<std::string> seen;
};

TEST(FunctionHostTest, MakesTheBindingsAndReportsCallsOnlyDuringTheInvocationObserved) {
  auto o = options_for("kv_user.so", "cache_user");
  o.bindings.push_back(
      BindingSpec{.name = "cache", .kind = "memory", .path = "", .base_dir = {}, .origin = "test"});
  auto host = FunctionHost::open(std::move(o));
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_EQ((*host)->function_name(), "fn");
  Calls calls;
  auto first = (*host)->invoke(EventBuilder().field("key", "a").build(), far(), &calls);
  EXPECT_EQ(first.response.status(), 200);
  EXPECT_EQ(calls.seen, (std::vector<std::string>{R"(get {"key":"a"} -> null)",
                                                  R"(put {"key":"a","value":"written"} -> null)",
                                                  R"(list {"prefix":""} -> ["a"])"}));
  auto second = (*host)->invoke(EventBuilder().field("key", "a").build(), far());  // not observed
  EXPECT_EQ(Json::parse(second.response.body())["before"], "written");             // the binding lives on
  EXPECT_EQ(calls.seen.size(), 3U);
}

TEST(FunctionHostTest, SetsTheEnvironmentAndTheTriggerAndDeadline) {
  auto o = options_for("multi.so", "");
  o.config.env = {{"NIMBUS_HOST_TEST", "from spec.env"}, {"NIMBUS_HOST_OTHER", "kept"}};
  o.env = {{"NIMBUS_HOST_TEST", "from the caller"}};
  o.config.function = "second";
  auto host = FunctionHost::open(std::move(o));
  ASSERT_TRUE(host) << host.error().message;
  EXPECT_STREQ(std::getenv("NIMBUS_HOST_TEST"), "from the caller");
  EXPECT_STREQ(std::getenv("NIMBUS_HOST_OTHER"), "kept");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  auto done = (*host)->invoke(EventBuilder().trigger("cron", "nightly").build(), deadline);
  EXPECT_EQ(done.response.status(), 200) << done.response.body();
  EXPECT_EQ((*host)->context().trigger().kind, "cron");
  EXPECT_EQ((*host)->context().trigger().name, "nightly");
  EXPECT_EQ((*host)->context().deadline(), deadline);
}

TEST(FunctionHostTest, AThrowingHandlerIsA500AndItsLogsComeBackWhenAsked) {
  nimbus::testing::CapturingSink sink;
  auto o = options_for("throws.so", "fragile");
  o.sink = &sink;
  auto host = FunctionHost::open(std::move(o));
  ASSERT_TRUE(host) << host.error().message;
  auto done = (*host)->invoke(
      EventBuilder().method("POST").path("/x").header("X-Nimbus-Log-Level", "error").build(), far());
  EXPECT_EQ(done.response.status(), 500);
  EXPECT_EQ(done.response.body(), "handler error: cannot handle /x");
  ASSERT_TRUE(done.response.header("X-Nimbus-Logs"));
  auto logs = Json::parse(*done.response.header("X-Nimbus-Logs"));
  ASSERT_EQ(logs.size(), 1U);
  EXPECT_EQ(logs[0]["message"], "handler failed");
  ASSERT_EQ(sink.records().size(), 1U);  // the worker's own sink got it too
  EXPECT_GT(done.took.count(), 0);
}

TEST(FunctionHostTest, ErrorsNameTheFunctionsFile) {
  auto init = FunctionHost::open(options_for("init_fails.so", "handler"));
  ASSERT_FALSE(init);
  EXPECT_EQ(init.error().message, "dir/function.yaml: init hook of 'handler' failed: model file missing");
  auto o = options_for("kv_user.so", "cache_user");
  o.bindings.push_back(BindingSpec{.name = "cache",
                                   .kind = "mongo",
                                   .path = "",
                                   .base_dir = {},
                                   .origin = "function.yaml:9: spec.dataBindings.cache.kind"});
  auto binding = FunctionHost::open(std::move(o));
  ASSERT_FALSE(binding);
  EXPECT_TRUE(
      binding.error().message.starts_with("function.yaml:9: spec.dataBindings.cache.kind: unknown binding "
                                          "kind 'mongo' for 'cache' (known: file, "))
      << binding.error().message;
  auto missing = FunctionHost::open(options_for("no_such.so", "x"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no_such.so"), std::string::npos) << missing.error().message;
}

}  // namespace
