// Log sinks: the registry and the console sink.
#include "nimbus/engine/log_sink.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <string>

#include "../../engine/src/logging/console_sink.hpp"

namespace {

using nimbus::Json;
using nimbus::engine::LogEntry;
using nimbus::engine::LogSinkRegistry;

std::string drain(int fd) {
  std::string out;
  std::array<char, 4096> buffer{};
  for (ssize_t n; (n = read(fd, buffer.data(), buffer.size())) > 0;)
    out.append(buffer.data(), static_cast<std::size_t>(n));
  return out;
}

TEST(ConsoleSinkTest, WritesOneEscapedJsonLinePerRecordWhenFlushed) {
  std::array<int, 2> fds{};
  ASSERT_EQ(pipe2(fds.data(), O_NONBLOCK), 0);
  nimbus::engine::logging::ConsoleSink sink(fds[1]);
  LogEntry e;
  e.worker = 3;
  e.level = nimbus::LogLevel::kWarn;
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'000'000'123LL));
  e.message = "say \"hi\"\n\x01";
  e.fields_json = R"({"n":1})";
  e.logger = "db";
  sink.write(e);
  EXPECT_EQ(drain(fds[0]), "");  // buffered until the loop's flush
  LogEntry own;
  own.worker = -1;  // the processor's own line: no worker
  own.time = e.time;
  own.message = "note";
  sink.write(own);
  sink.flush();
  EXPECT_EQ(drain(fds[0]),
            "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"warn\","
            "\"message\":\"say \\\"hi\\\"\\n\\u0001\",\"fields\":{\"n\":1},\"logger\":\"db\",\"worker\":3}\n"
            "{\"time\":\"2026-11-18T11:06:40.123Z\",\"level\":\"info\",\"message\":\"note\"}\n");
  close(fds[0]);
  std::signal(SIGPIPE, SIG_IGN);  // as nimbus serve does
  sink.write(e);
  sink.flush();  // the reader is gone: the lines are dropped, nothing stops
  close(fds[1]);
}

TEST(LogSinkRegistryTest, KindsAndTheirAttributesAreChecked) {
  LogSinkRegistry r;
  nimbus::engine::register_builtin_log_sinks(r);
  EXPECT_EQ(r.kinds(), (std::vector<std::string>{"console"}));
  EXPECT_TRUE(r.make({"console", Json::object(), "sink 0"}));
  EXPECT_TRUE(r.make({"console", Json{{"stream", "stdout"}}, "sink 0"}));
  auto bad = r.make({"console", Json{{"stream", "printer"}}, "sink 0"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "sink 0: stream: expected stderr or stdout, got 'printer'");
  auto unknown = r.make({"syslog", Json::object(), "sink 1"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "sink 1: unknown log sink kind 'syslog' (known: console)");
}

}  // namespace
