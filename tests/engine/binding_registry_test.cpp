#include "nimbus/engine/binding_registry.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using nimbus::KeyValueStore;
using nimbus::engine::BindingRegistry;
using nimbus::engine::BindingSpec;
using nimbus::engine::parse_binding_flag;

BindingRegistry builtin() {
  BindingRegistry r;
  nimbus::engine::register_builtin_bindings(r);
  return r;
}

TEST(BindingRegistryTest, MakesMemoryStores) {
  auto b = builtin().make(
      BindingSpec{.name = "cache", .kind = "memory", .path = "", .base_dir = {}, .origin = "test"});
  ASSERT_TRUE(b) << b.error().message;
  auto* kv = dynamic_cast<KeyValueStore*>(b->get());
  ASSERT_NE(kv, nullptr);
  kv->put("a", "1");
  EXPECT_EQ(kv->get("a"), "1");
}

TEST(BindingRegistryTest, FileFixtureSeedsAStoreAndIsNotWrittenBack) {
  auto dir = testing::TempDir();
  std::ofstream(dir + "/cache.json") << R"({"user:1": "Ada", "count": 2})";
  auto b = builtin().make(
      BindingSpec{.name = "cache", .kind = "file", .path = "cache.json", .base_dir = dir, .origin = "test"});
  ASSERT_TRUE(b) << b.error().message;
  auto* kv = dynamic_cast<KeyValueStore*>(b->get());
  EXPECT_EQ(kv->get("user:1"), "Ada");
  EXPECT_EQ(kv->get("count"), "2");
  kv->put("user:2", "Grace");
  std::ifstream in(dir + "/cache.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, R"({"user:1": "Ada", "count": 2})");
}

TEST(BindingRegistryTest, BadFixtures) {
  auto dir = testing::TempDir();
  std::ofstream(dir + "/list.json") << "[1, 2]";
  auto list = builtin().make(
      BindingSpec{.name = "c", .kind = "file", .path = "list.json", .base_dir = dir, .origin = "test"});
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().message, (std::filesystem::path(dir) / "list.json").string() +
                                      ": fixture for binding 'c' must be a JSON object of key: value");
  auto missing = builtin().make(
      BindingSpec{.name = "c", .kind = "file", .path = "none.json", .base_dir = dir, .origin = "test"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, (std::filesystem::path(dir) / "none.json").string() +
                                         ": cannot read fixture for binding 'c' (No such file or directory)");
  auto no_path = builtin().make(
      BindingSpec{.name = "c", .kind = "file", .path = "", .base_dir = dir, .origin = "--bind c=file"});
  ASSERT_FALSE(no_path);
  EXPECT_EQ(no_path.error().message, "--bind c=file: binding 'c' of kind 'file' needs a path (file:<path>)");
}

TEST(BindingRegistryTest, UnknownKindNamesTheKnownOnes) {
  auto b = builtin().make(BindingSpec{.name = "cache",
                                      .kind = "mongo",
                                      .path = "",
                                      .base_dir = {},
                                      .origin = "function.yaml:9: spec.dataBindings.cache.kind"});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message,
            "function.yaml:9: spec.dataBindings.cache.kind: unknown binding kind 'mongo' for 'cache' (known: "
            "file, fs, kafka, memory, nats, redis, sqlite)");
}

TEST(BindingRegistryTest, ParsesCommandLineFlags) {
  auto m = parse_binding_flag("cache=memory");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "cache");
  EXPECT_EQ(m->kind, "memory");
  auto f = parse_binding_flag("cache=file:fixtures/cache.json");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, "file");
  EXPECT_EQ(f->path, "fixtures/cache.json");
  EXPECT_FALSE(parse_binding_flag("cache"));
  EXPECT_FALSE(parse_binding_flag("=memory"));
  EXPECT_FALSE(parse_binding_flag("cache="));
}

}  // namespace
