// Tapes (writing, redaction, reading, errors) and the replay's diff.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nimbus/engine/event_file.hpp>
#include <nimbus/event_data.hpp>
#include <nimbus/recorder/tape.hpp>
#include <nimbus/replay/replayer.hpp>

namespace {

namespace fs = std::filesystem;
using nimbus::Json;
using nimbus::recorder::TapeReader;
using nimbus::recorder::TapeRecord;
using nimbus::recorder::TapeWriter;

fs::path temp_tape(const std::string& name) {
  return fs::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".ndjson");
}

TEST(TapeTest, WritesRedactedRecordsAndReadsThemBack) {
  const fs::path path = temp_tape("tape");
  nimbus::recorder::Redaction redaction;
  redaction.secrets = {"hunter22"};
  {
    nimbus::recorder::TapeHeader header;
    header.function_name = "f";
    auto w = TapeWriter::open(path, header, redaction);
    ASSERT_TRUE(w) << w.error().message;
    TapeRecord r;
    r.event = {{"id", "e1"}, {"headers", {{"cookie", "a=b"}, {"X-Ok", "fine"}}}, {"body", "pw=hunter22"}};
    r.logs = Json::array({{{"level", "info"}, {"message", "login hunter22"}}});
    r.response = {{"status", 200}};
    (*w)->write(r);
    (*w)->write(r);
  }
  auto reader = TapeReader::open(path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ((*reader)->header().function_name, "f");
  auto first = (*reader)->next();
  ASSERT_TRUE(first && *first) << (first ? (*first).error().message : "end");
  EXPECT_EQ((**first).seq, 1U);
  EXPECT_EQ((**first).event["headers"]["cookie"], "[REDACTED]");
  EXPECT_EQ((**first).event["headers"]["X-Ok"], "fine");
  EXPECT_EQ((**first).event["body"], "pw=[REDACTED]");
  EXPECT_EQ((**first).logs[0]["message"], "login [REDACTED]");
  auto second = (*reader)->next();
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((**second).seq, 2U);
  EXPECT_FALSE((*reader)->next());
  fs::remove(path);
}

TEST(TapeTest, EventsRoundTripThroughTheEventFileFormat) {
  nimbus::EventData d;
  d.id = "e1";
  d.trigger_kind = "http";
  d.trigger_name = "web";
  d.method = "POST";
  d.path = "/a";
  d.url = "/a?x=1";
  d.fields = {{"x", "1"}};
  d.headers = {{"X-A", "1"}};
  d.content_type = "application/octet-stream";
  d.body = std::string("\x00\x01\xff", 3);
  d.timestamp = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789LL));
  nimbus::EventBuffer original(d);
  Json j = nimbus::recorder::event_to_json(original.event());
  EXPECT_TRUE(j.contains("bodyBase64"));
  auto back = nimbus::engine::parse_event(j, "x");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->encode(), d.encode());
}

TEST(TapeTest, BadLinesNameTheLineAndReadingGoesOn) {
  const fs::path path = temp_tape("bad");
  std::ofstream(path) << R"({"nimbusTape": 1})" << '\n'
                      << R"({"event": {}, "response": {"status": 200}})" << '\n'
                      << R"({"event": {}, "resp)" << '\n'
                      << R"({"event": {}})" << '\n'
                      << R"({"event": {}, "response": {"status": 201}})" << '\n';
  auto reader = TapeReader::open(path);
  ASSERT_TRUE(reader);
  auto a = (*reader)->next();
  EXPECT_TRUE(a && *a);
  auto b = (*reader)->next();
  ASSERT_TRUE(b && !*b);
  EXPECT_EQ((*b).error().message.rfind(path.string() + ":3: truncated or corrupt record", 0), 0U)
      << (*b).error().message;
  auto c = (*reader)->next();
  ASSERT_TRUE(c && !*c);
  EXPECT_EQ((*c).error().message, path.string() + ":4: field 'response': missing or not an object");
  auto d = (*reader)->next();
  ASSERT_TRUE(d && *d);
  EXPECT_EQ((**d).response["status"], 201);
  fs::remove(path);
}

TEST(TapeTest, RefusesANewerFormatAndNonTapes) {
  const fs::path path = temp_tape("newer");
  std::ofstream(path) << R"({"nimbusTape": 2})" << '\n';
  auto newer = TapeReader::open(path);
  ASSERT_FALSE(newer);
  EXPECT_EQ(
      newer.error().message,
      path.string() + ":1: tape format 2 is newer than this nimbus reads (1); replay it with a newer nimbus");
  std::ofstream(path) << R"({"path": "/"})" << '\n';
  auto not_tape = TapeReader::open(path);
  ASSERT_FALSE(not_tape);
  EXPECT_NE(not_tape.error().message.find("not a Nimbus tape"), std::string::npos);
  fs::remove(path);
}

TEST(ReplayDiffTest, JsonBodiesCompareAsJson) {
  Json a{{"status", 200}, {"body", R"({"a":1,"b":2})"}};
  Json b{{"status", 200}, {"body", R"({"b": 2, "a": 1})"}};
  EXPECT_FALSE(nimbus::replay::compare_part("response", a, b));
  Json c{{"status", 200}, {"body", R"({"a":1,"b":3})"}};
  auto d = nimbus::replay::compare_part("response", a, c);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->part, "response");
}

TEST(ReplayDiffTest, UnifiedDiffShowsHunksWithContext) {
  std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(nimbus::replay::unified_diff(a, b, "a", "b", 2),
            "--- a\n+++ b\n@@ -3,5 +3,5 @@\n 3\n 4\n-5\n+five\n 6\n 7\n");
  EXPECT_EQ(nimbus::replay::unified_diff(a, a, "a", "b"), "");
}

}  // namespace
