// Log sinks: the registry and the console sink.
#include "nimbus/engine/log_sink.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "../../engine/src/logging/console_sink.hpp"
#include "../../engine/src/logging/line_format.hpp"

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
  EXPECT_EQ(r.kinds(), (std::vector<std::string>{"console", "file", "http", "nats", "redis"}));
  EXPECT_TRUE(r.make({"console", Json::object(), "sink 0"}));
  EXPECT_TRUE(r.make({"console", Json{{"stream", "stdout"}}, "sink 0"}));
  auto bad = r.make({"console", Json{{"stream", "printer"}}, "sink 0"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "sink 0.stream: expected stderr or stdout, got 'printer'");
  auto format = r.make({"console", Json{{"format", "xml"}}, "sink 0"});
  ASSERT_FALSE(format);
  EXPECT_EQ(format.error().message, "sink 0.format: expected json or text, got 'xml'");
  auto no_path = r.make({"file", Json::object(), "sink 2"});
  ASSERT_FALSE(no_path);
  EXPECT_EQ(no_path.error().message,
            "sink 2.path: a file sink needs the file to write (path: logs/function.log)");
  auto no_stream = r.make({"redis", Json{{"url", "redis://127.0.0.1:1"}}, "sink 4"});
  ASSERT_FALSE(no_stream);
  EXPECT_EQ(no_stream.error().message, "sink 4.stream: missing (where the records go)");
  auto no_url = r.make({"nats", Json{{"subject", "logs"}}, "sink 5"});
  ASSERT_FALSE(no_url);
  EXPECT_EQ(no_url.error().message, "sink 5.url: missing (the nats server)");
  auto small = r.make({"file", Json{{"path", "/tmp/x.log"}, {"maxBytes", "10"}}, "sink 3"});
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().message.rfind("sink 3.maxBytes: ", 0), 0U) << small.error().message;
  auto unknown = r.make({"syslog", Json::object(), "sink 1"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "sink 1: unknown log sink kind 'syslog' (known: console, file, http, nats, redis)");
}

// A record of an event as every sink writes it: whose it is after what it says.
LogEntry event_record() {
  LogEntry e;
  e.worker = 1;
  e.level = nimbus::LogLevel::kDebug;
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'000'000'123LL));
  e.message = "line one\nline two\x01";
  e.fields_json = R"({"n":1,"who":"Ada"})";
  e.logger = "db";
  e.event_id = "ev-1";
  e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  e.function = "orders";
  e.version = "7";
  e.trigger = "web";
  e.trigger_kind = "http";
  return e;
}

TEST(LineFormatTest, JsonAndTextCarryWhoseRecordItIs) {
  using nimbus::engine::logging::LineFormat;
  std::string json;
  nimbus::engine::logging::append_line(json, event_record(), LineFormat::kJson);
  EXPECT_EQ(
      json,
      R"({"time":"2026-11-18T11:06:40.123Z","level":"debug","message":"line one\nline two\u0001",)"
      R"("fields":{"n":1,"who":"Ada"},"logger":"db","function":"orders","version":"7","worker":1,)"
      R"("trigger":"web","triggerKind":"http","event":"ev-1","traceId":"4bf92f3577b34da6a3ce929d0e0e4736"})"
      "\n");
  std::string text;
  nimbus::engine::logging::append_line(text, event_record(), LineFormat::kText);
  EXPECT_EQ(
      text,
      "2026-11-18T11:06:40.123Z DEBUG [db] line one\\nline two\\u0001  n=1  who=Ada  (orders@7 worker 1 web "
      "event ev-1 trace 4bf92f3577b34da6a3ce929d0e0e4736)\n");
  LogEntry own;  // the processor's own line: no worker, no event
  own.worker = -1;
  own.time = event_record().time;
  own.message = "ready";
  own.logger = "nimbus.admin";
  text.clear();
  nimbus::engine::logging::append_line(text, own, LineFormat::kText);
  EXPECT_EQ(text, "2026-11-18T11:06:40.123Z INFO  [nimbus.admin] ready\n");
}

TEST(FileSinkTest, RotatesBySizeKeepingMaxFilesAndLosesNoLineItKeeps) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(testing::TempDir()) / ("file_sink_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  LogSinkRegistry r;
  nimbus::engine::register_builtin_log_sinks(r);
  nimbus::engine::LogSinkSpec spec{
      "file", Json{{"path", "logs/f.log"}, {"maxBytes", 1024}, {"maxFiles", "3"}}, "sink 0", dir};
  auto sink = r.make(spec);
  ASSERT_TRUE(sink) << sink.error().message;
  LogEntry e = event_record();
  std::vector<std::string> messages;
  for (int i = 0; i < 40; ++i) {
    messages.push_back("record " + std::to_string(i));
    e.message = messages.back();
    (*sink)->write(e);
    if (i % 7 == 0) (*sink)->flush();  // as the loop does, now and then
  }
  sink->reset();  // flushes
  std::vector<std::string> kept;
  for (const char* name : {"f.log.3", "f.log.2", "f.log.1", "f.log"}) {
    const fs::path p = dir / "logs" / name;
    ASSERT_TRUE(fs::exists(p)) << p;
    EXPECT_LE(fs::file_size(p), 1024U) << p;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) kept.push_back(Json::parse(line)["message"]);
  }
  EXPECT_FALSE(fs::exists(dir / "logs" / "f.log.4")) << "maxFiles old files are kept, no more";
  ASSERT_FALSE(kept.empty());
  // What is kept is the newest records, every one of them, in order.
  const std::vector<std::string> newest(messages.end() - static_cast<std::ptrdiff_t>(kept.size()),
                                        messages.end());
  EXPECT_EQ(kept, newest);
  EXPECT_GE(kept.size(), 8U);
}

TEST(LogSinkFlagTest, KindAndAttributes) {
  auto sink = nimbus::engine::parse_log_sink_flag("file:path=logs/f.log,maxBytes=2048,format=text");
  ASSERT_TRUE(sink) << sink.error().message;
  EXPECT_EQ(sink->kind, "file");
  EXPECT_EQ(sink->attributes, (Json{{"path", "logs/f.log"}, {"maxBytes", "2048"}, {"format", "text"}}));
  EXPECT_EQ(sink->origin, "--log-sink file:path=logs/f.log,maxBytes=2048,format=text");
  auto console = nimbus::engine::parse_log_sink_flag("console");
  ASSERT_TRUE(console);
  EXPECT_EQ(console->attributes, Json::object());
  auto bad = nimbus::engine::parse_log_sink_flag("file:path");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--log-sink file:path: 'path' is not name=value");
  EXPECT_FALSE(nimbus::engine::parse_log_sink_flag(":x=1"));
}

}  // namespace
