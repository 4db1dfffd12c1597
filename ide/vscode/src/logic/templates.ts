// New Function: the files of a first function (function.yaml, the handler, a first event file,
// a unit test), in C++ or Python, ready for `nimbus run`. Never imports vscode.
import type { Runtime } from './functionConfig';

/** A function's name: what metadata.name, the library and the folder are called. */
export function checkFunctionName(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) {
    return 'a function name is lower-case letters, digits and dashes, starting with a letter (at most 63)';
  }
  return undefined;
}

function identifier(name: string): string {
  return name.replace(/-/g, '_');
}

/** The files of a new function named `name`, by path relative to its folder. */
export function newFunctionFiles(runtime: Runtime, name: string): Record<string, string> {
  const problem = checkFunctionName(name);
  if (problem) throw new Error(`'${name}': ${problem}`);
  const id = identifier(name);
  const event = JSON.stringify({ method: 'POST', path: '/', body: { name: 'Ada' } }, null, 2) + '\n';
  if (runtime === 'python') {
    return {
      'function.yaml': `# ${name}: a Nimbus function in Python, written to nuclio's conventions.
metadata:
  name: ${name}
spec:
  runtime: python
  handler: main:handler         # <module>:<function>, from this folder
  triggers:
    http: {kind: http, numWorkers: 1}
  eventTimeout: 5s
`,
      'main.py': `"""${name}: answers with a greeting for the JSON body's "name"."""


def handler(context, event):
    body = event.body if isinstance(event.body, dict) else {}
    name = body.get("name", "world")
    context.logger.info_with("greeting", name=name)
    return context.Response(body={"greeting": f"hello, {name}"}, content_type="application/json")
`,
      'events/01-hello.json': event,
      'test_main.py': `# ${name}'s unit test, with the nimbus pytest fixtures: no server, no emulator.
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def test_greets_by_name(nimbus_invoke):
    result = nimbus_invoke("main:handler", {"name": "Ada"})
    assert result.status == 200
    assert result.json() == {"greeting": "hello, Ada"}
    assert result.logs.messages("info") == ["greeting"]
`,
    };
  }
  return {
    'function.yaml': `# ${name}: a Nimbus function in C++.
metadata:
  name: ${name}
spec:
  runtime: cpp
  handler: ${name}:${id}          # <library>:<NIMBUS_FUNCTION name>
  build:
    path: .                     # this folder's CMakeLists.txt; nimbus run builds it
  triggers:
    http: {kind: http, numWorkers: 1}
  eventTimeout: 5s
`,
    'CMakeLists.txt': `cmake_minimum_required(VERSION 3.20)
project(${id} LANGUAGES CXX)

find_package(Nimbus REQUIRED)
nimbus_add_function(${name} SOURCES ${id}.cpp)

# The unit test: cmake -S . -B build -DWITH_TESTS=ON && cmake --build build && ctest --test-dir build
option(WITH_TESTS "build the unit test" OFF)
if(WITH_TESTS)
  find_package(GTest REQUIRED)
  enable_testing()
  add_executable(${id}_test ${id}_test.cpp ${id}.cpp)
  target_link_libraries(${id}_test PRIVATE nimbus::testing GTest::gtest_main)
  add_test(NAME ${id}_test COMMAND ${id}_test)
endif()
`,
    [`${id}.cpp`]: `// ${name}: answers with a greeting for the JSON body's "name".
#include <nimbus/nimbus.hpp>
#include <string>

nimbus::Response ${id}(nimbus::Context& ctx, const nimbus::Event& event) {
  std::string name = "world";
  if (event.content_type() == "application/json") name = event.json().value("name", name);
  ctx.logger().info_with("greeting", {{"name", name}});
  return nimbus::Response::json({{"greeting", "hello, " + name}});
}
NIMBUS_FUNCTION(${id})
`,
    [`${id}_test.cpp`]: `// ${name}'s unit test: the handler called directly, with a fake context.
#include <gtest/gtest.h>

#include <nimbus/testing.hpp>

nimbus::Response ${id}(nimbus::Context& ctx, const nimbus::Event& event);

TEST(${id.charAt(0).toUpperCase() + id.slice(1).replace(/_(.)/g, (_m: string, c: string) => c.toUpperCase())}Test, GreetsByName) {
  nimbus::testing::FakeContext ctx("${name}");
  auto r = ${id}(ctx, nimbus::testing::EventBuilder().json({{"name", "Ada"}}).build());
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(nimbus::Json::parse(r.body()), (nimbus::Json{{"greeting", "hello, Ada"}}));
  EXPECT_TRUE(ctx.logged(nimbus::LogLevel::kInfo, "greeting"));
}
`,
    'events/01-hello.json': event,
  };
}
