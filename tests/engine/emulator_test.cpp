#include "nimbus/emulator/emulator.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "nimbus/testing/event_builder.hpp"

namespace {

using nimbus::Json;
using nimbus::emulator::Emulator;
using nimbus::emulator::EmulatorOptions;
using nimbus::emulator::Reporter;
using nimbus::engine::FunctionConfig;
using nimbus::testing::EventBuilder;

std::string fixture(const std::string& name) { return std::string(NIMBUS_FIXTURE_DIR) + "/" + name; }

FunctionConfig config_for(const std::string& function) {
  FunctionConfig c;
  c.name = function;
  c.function = function;
  c.file = "test/function.yaml";
  return c;
}

struct Harness {
  std::ostringstream out, err;
  Reporter reporter{out, err, {.json = true, .color = false}};
  std::vector<Json> lines() const {
    std::vector<Json> v;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) v.push_back(Json::parse(line));
    return v;
  }
};

TEST(EmulatorTest, ThrowingHandlerIsA500AndTheRunGoesOn) {
  Harness h;
  auto emu = Emulator::create(config_for("fragile"), fixture("throws.so"), {}, h.reporter);
  ASSERT_TRUE(emu) << emu.error().message;
  auto bad = (*emu)->invoke(EventBuilder().method("POST").path("/x").build(), "test");
  EXPECT_EQ(bad.status(), 500);
  EXPECT_EQ(bad.body(), "handler error: cannot handle /x");
  auto good = (*emu)->invoke(EventBuilder().build(), "test");
  EXPECT_EQ(good.status(), 200);
  auto lines = h.lines();
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[0]["type"], "log");
  EXPECT_EQ(lines[0]["level"], "error");
  EXPECT_EQ(lines[0]["fields"]["error"], "cannot handle /x");
  EXPECT_EQ(lines[1]["status"], 500);
  EXPECT_EQ(lines[3]["body"], "ok");
}

TEST(EmulatorTest, InitHookUserDataEnvAndTrigger) {
  Harness h;
  auto config = config_for("second");
  config.env = {{"MODE", "from-yaml"}};
  EmulatorOptions options;
  options.env = {{"MODE", "from-flag"}};
  auto emu = Emulator::create(config, fixture("multi.so"), options, h.reporter);
  ASSERT_TRUE(emu) << emu.error().message;
  (void)(*emu)->invoke(EventBuilder().build(), "t");
  auto r = (*emu)->invoke(EventBuilder().trigger("cron", "nightly").build(), "t");
  EXPECT_EQ(Json::parse(r.body()), (Json{{"calls", 2}, {"mode", "from-flag"}, {"trigger", "cron"}}));
  EXPECT_EQ(h.lines()[0]["message"], "init");
}

TEST(EmulatorTest, InitFailureIsAnErrorNotACrash) {
  Harness h;
  auto emu = Emulator::create(config_for("handler"), fixture("init_fails.so"), {}, h.reporter);
  ASSERT_FALSE(emu);
  EXPECT_EQ(emu.error().message, "test/function.yaml: init hook of 'handler' failed: model file missing");
}

TEST(EmulatorTest, ConfiguredBindingsAreMockedAndFlagsOverrideThem) {
  auto dir = testing::TempDir();
  std::ofstream(dir + "/fixture.json") << R"({"k": "from-fixture"})";
  auto config = config_for("cache_user");
  config.bindings = {{"cache", "memory", "", dir, "yaml"}};
  {
    Harness h;
    auto emu = Emulator::create(config, fixture("kv_user.so"), {}, h.reporter);
    ASSERT_TRUE(emu) << emu.error().message;
    auto r = (*emu)->invoke(EventBuilder().build(), "t");
    EXPECT_EQ(Json::parse(r.body())["before"], nullptr);
    r = (*emu)->invoke(EventBuilder().build(), "t");
    EXPECT_EQ(Json::parse(r.body())["before"], "written");
  }
  {
    Harness h;
    EmulatorOptions options;
    options.bindings = {{"cache", "file", dir + "/fixture.json", dir, "--bind"}};
    auto emu = Emulator::create(config, fixture("kv_user.so"), options, h.reporter);
    ASSERT_TRUE(emu) << emu.error().message;
    auto r = (*emu)->invoke(EventBuilder().build(), "t");
    EXPECT_EQ(Json::parse(r.body())["before"], "from-fixture");
  }
}

TEST(EmulatorTest, UnknownConfiguredBindingKindIsRefused) {
  Harness h;
  auto config = config_for("cache_user");
  config.bindings = {
      {.name = "cache", .kind = "mongo", .origin = "function.yaml:7: spec.dataBindings.cache.kind"}};
  auto emu = Emulator::create(config, fixture("kv_user.so"), {}, h.reporter);
  ASSERT_FALSE(emu);
  // The registry's own test checks the whole list of known kinds.
  EXPECT_TRUE(
      emu.error().message.starts_with("function.yaml:7: spec.dataBindings.cache.kind: unknown binding kind "
                                      "'mongo' for 'cache' (known: file, "))
      << emu.error().message;
}

TEST(EmulatorTest, MissingBindingIsA500NamingIt) {
  Harness h;
  auto emu = Emulator::create(config_for("cache_user"), fixture("kv_user.so"), {}, h.reporter);
  ASSERT_TRUE(emu);
  auto r = (*emu)->invoke(EventBuilder().build(), "t");
  EXPECT_EQ(r.status(), 500);
  EXPECT_EQ(r.body(), "handler error: no data binding named 'cache' (configured: none)");
}

}  // namespace
