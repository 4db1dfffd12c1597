#include "nimbus/engine/function_config.hpp"

#include <gtest/gtest.h>

namespace {

using nimbus::engine::parse_duration;
using nimbus::engine::parse_function_config;

TEST(FunctionConfigTest, ParsesTheSupportedSubset) {
  auto c = parse_function_config(R"(
metadata:
  name: hello
  version: "3"
spec:
  runtime: cpp
  handler: hello:greet
  build: {path: src, sources: [a.cpp, b.cpp]}
  env:
    - {name: A, value: "1"}
    - {name: B}
  dataBindings:
    seen: {kind: memory}
    fixture: {kind: file, path: data/f.json}
  triggers:
    web: {kind: http, numWorkers: 4, attributes: {port: 9000}}
  eventTimeout: 1m30s
  resources: {limits: {cpu: 1}}    # nuclio fields Nimbus does not use are ignored
)",
                                 "/fn/function.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->name, "hello");
  EXPECT_EQ(c->version, "3");
  EXPECT_EQ(c->module, "hello");
  EXPECT_EQ(c->function, "greet");
  EXPECT_EQ(c->dir, "/fn");
  ASSERT_TRUE(c->build);
  EXPECT_EQ(c->build->path, "/fn/src");
  EXPECT_EQ(c->build->sources, (std::vector<std::filesystem::path>{"/fn/src/a.cpp", "/fn/src/b.cpp"}));
  EXPECT_EQ(c->env, (std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"B", ""}}));
  ASSERT_EQ(c->bindings.size(), 2U);
  EXPECT_EQ(c->bindings[1].kind, "file");
  EXPECT_EQ(c->bindings[1].path, "data/f.json");
  EXPECT_EQ(c->bindings[1].origin, "/fn/function.yaml:14: spec.dataBindings.fixture.kind");
  ASSERT_EQ(c->triggers.size(), 1U);
  EXPECT_EQ(c->triggers[0].num_workers, 4);
  EXPECT_EQ(c->triggers[0].attributes["port"], "9000");
  EXPECT_EQ(c->event_timeout, std::chrono::seconds(90));
}

TEST(FunctionConfigTest, EnvAsAMapping) {
  auto c =
      parse_function_config("metadata: {name: f}\nspec: {handler: 'a:b', env: {X: y}}\n", "function.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->env, (std::vector<std::pair<std::string, std::string>>{{"X", "y"}}));
  EXPECT_EQ(c->event_timeout, std::chrono::seconds(30));
}

TEST(FunctionConfigTest, LoggerLevelAndSinks) {
  auto c = parse_function_config(
      "metadata: {name: f}\nspec:\n  handler: 'a:b'\n  logger:\n    level: debug\n    sinks:\n"
      "      - {kind: console, format: text}\n      - {kind: file, path: logs/f.log, maxBytes: 4096}\n",
      "/fn/function.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->logger.level, "debug");
  ASSERT_EQ(c->logger.sinks.size(), 2U);
  EXPECT_EQ(c->logger.sinks[0].kind, "console");
  EXPECT_EQ(c->logger.sinks[0].attributes, (nimbus::Json{{"format", "text"}}));
  EXPECT_EQ(c->logger.sinks[1].attributes, (nimbus::Json{{"path", "logs/f.log"}, {"maxBytes", "4096"}}));
  EXPECT_EQ(c->logger.sinks[1].origin, "/fn/function.yaml:8: spec.logger.sinks[1]");
  EXPECT_EQ(c->logger.sinks[1].base_dir, "/fn");
  auto none = parse_function_config("metadata: {name: f}\nspec: {handler: 'a:b'}\n", "function.yaml");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->logger.level);
  EXPECT_TRUE(none->logger.sinks.empty());
  for (const auto& [yaml, error] : std::vector<std::pair<std::string, std::string>>{
           {"logger: {level: loud}",
            "function.yaml:2: spec.logger.level: expected debug, info, warn or error, "
            "got 'loud'"},
           {"logger: [1]", "function.yaml:2: spec.logger: expected a mapping with 'level' and/or 'sinks'"},
           {"logger: {sinks: {kind: file}}",
            "function.yaml:2: spec.logger.sinks: expected a list of {kind, ...}"},
           {"logger: {sinks: [{path: x}]}",
            "function.yaml:2: spec.logger.sinks[0]: expected a mapping with 'kind' (console, file)"},
       }) {
    auto bad =
        parse_function_config("metadata: {name: f}\nspec: {handler: 'a:b', " + yaml + "}\n", "function.yaml");
    ASSERT_FALSE(bad) << yaml;
    EXPECT_EQ(bad.error().message, error);
  }
}

TEST(FunctionConfigTest, PythonFunctionsNameTheirHandlerToTheEmbeddedRuntime) {
  auto c = parse_function_config(
      "metadata: {name: f}\nspec: {runtime: 'python:3.9', handler: 'main:handler', env: {X: y}}\n",
      "/fn/function.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->runtime, "python");  // nuclio's spelling with a version
  EXPECT_EQ(c->entry_name(), "python");
  EXPECT_EQ(c->env,
            (std::vector<std::pair<std::string, std::string>>{
                {"X", "y"}, {"NIMBUS_PYTHON_HANDLER", "main:handler"}, {"NIMBUS_FUNCTION_DIR", "/fn"}}));
  auto built = parse_function_config(
      "metadata: {name: f}\nspec:\n  runtime: python\n  handler: 'a:b'\n  build: {}\n", "fn/function.yaml");
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().message, "fn/function.yaml:5: spec.build: Python functions are not built");
}

struct BadConfig {
  const char* yaml;
  const char* message;
};

class FunctionConfigErrorTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(FunctionConfigErrorTest, NamesTheFileLineAndField) {
  auto c = parse_function_config(GetParam().yaml, "fn/function.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, FunctionConfigErrorTest,
    ::testing::Values(
        BadConfig{"metadata: {name: f}\nspec:\n  handler: [a]\n",
                  "fn/function.yaml:3: spec.handler: expected a string"},
        BadConfig{"metadata: {name: f}\nspec:\n  handler: greet\n",
                  "fn/function.yaml:3: spec.handler: 'greet' is not of the form 'module:function' (e.g. "
                  "'hello:greet')"},
        BadConfig{"spec: {handler: 'a:b'}\n",
                  "fn/function.yaml:1: metadata: missing (it holds the function's name)"},
        BadConfig{"metadata: {name: f}\n", "fn/function.yaml:1: spec: missing (it holds the handler)"},
        BadConfig{"metadata: {name: f}\nspec:\n  handler: 'a:b'\n  runtime: java\n",
                  "fn/function.yaml:4: spec.runtime: 'java' is not supported (supported: cpp, python)"},
        BadConfig{"metadata: {name: f}\nspec:\n  handler: 'a:b'\n  triggers:\n    web: {kind: http, "
                  "numWorkers: many}\n",
                  "fn/function.yaml:5: spec.triggers.web.numWorkers: expected an integer, got 'many'"},
        BadConfig{"metadata: {name: f}\nspec:\n  handler: 'a:b'\n  dataBindings:\n    cache: {path: x}\n",
                  "fn/function.yaml:5: spec.dataBindings.cache.kind: missing"},
        BadConfig{"metadata: {name: f}\nspec:\n  handler: 'a:b'\n  eventTimeout: soon\n",
                  "fn/function.yaml:4: spec.eventTimeout: 'soon' is not a duration (e.g. 500ms, 30s, 1m30s)"},
        BadConfig{"metadata: {name: f\nspec: x\n",
                  "fn/function.yaml:2: invalid YAML: end of map flow not found"},
        BadConfig{"- just\n- a list\n",
                  "fn/function.yaml:1: (top level): expected a mapping with 'metadata' and 'spec'"}));

TEST(FunctionConfigTest, UnreadableFile) {
  auto c = nimbus::engine::load_function_config("/nonexistent/function.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "/nonexistent/function.yaml: cannot read (No such file or directory)");
  auto d = nimbus::engine::load_function_config("/tmp");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "/tmp: is a directory (expected a function.yaml)");
}

TEST(DurationTest, GoStyle) {
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("2h"), std::chrono::hours(2));
  EXPECT_EQ(*parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("5 s"));
  EXPECT_FALSE(parse_duration(""));
}

}  // namespace
