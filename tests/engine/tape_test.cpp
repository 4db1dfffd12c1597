// Tapes (writing, redaction, reading, errors) and the replay's diff.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nimbus/detail/event_data.hpp>
#include <nimbus/format/event_file.hpp>
#include <nimbus/format/json_writer.hpp>
#include <nimbus/format/record.hpp>
#include <nimbus/recorder/tape.hpp>
#include <nimbus/replay/replayer.hpp>

namespace {

namespace fs = std::filesystem;
using nimbus::Json;
using nimbus::format::RecordText;
using nimbus::recorder::TapeReader;
using nimbus::recorder::TapeWriter;

fs::path temp_tape(const std::string& name) {
  return fs::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".ndjson");
}

nimbus::detail::EventData sample_event() {
  nimbus::detail::EventData d;
  d.id = "e1";
  d.trigger_kind = "http";
  d.trigger_name = "web";
  d.method = "POST";
  d.path = "/a";
  d.url = "/a?x=1";
  d.fields = {{"x", "1"}};
  d.headers = {{"cookie", "a=b"}, {"X-Ok", "fine"}, {"X-Ok", "twice"}, {"X-Bytes", "caf\xc3\xa9 \xff"}};
  d.content_type = "text/plain";
  d.body = "pw=hunter22 \"quoted\"\n";
  d.timestamp = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789LL));
  return d;
}

TEST(TapeTest, WritesRedactedRecordsAndReadsThemBack) {
  const fs::path path = temp_tape("tape");
  nimbus::recorder::Redaction redaction;
  redaction.secrets = {"hunter22", "123"};  // too short to redact: left alone
  nimbus::detail::EventBuffer event(sample_event());
  {
    nimbus::recorder::TapeHeader header;
    header.function_name = "f";
    auto w = TapeWriter::open(path, header, redaction);
    ASSERT_TRUE(w) << w.error().message;
    nimbus::format::RecordText r((*w)->redaction().headers);
    r.event(event.event());
    r.log(nimbus::LogLevel::kInfo, "login hunter22", R"({"user":"hunter22"})", "");
    r.call("kv", "get", R"({"key":"hunter22"})", "null", std::nullopt);
    r.call("kv", "put", R"({"key":"a"})", "", std::string_view("disk full"));
    r.response(nimbus::Response::text("ok", 200).with_header("Set-Cookie", "s=1"));
    (*w)->write(r, 1.5);
    (*w)->write(r, 2.0);
  }
  auto reader = TapeReader::open(path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ((*reader)->header().function_name, "f");
  auto first = (*reader)->next();
  ASSERT_TRUE(first && *first) << (first ? (*first).error().message : "end");
  auto record = (**first).parse();
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->seq, 1U);
  EXPECT_EQ(record->event["headers"]["cookie"], "[REDACTED]");
  EXPECT_EQ(record->event["headers"]["X-Ok"], "fine, twice");  // repeated headers joined, as HTTP allows
  EXPECT_EQ(record->event["headers"]["X-Bytes"], "caf\xc3\xa9 \xef\xbf\xbd");  // not UTF-8: U+FFFD
  EXPECT_EQ(record->event["body"], "pw=[REDACTED] \"quoted\"\n");
  EXPECT_EQ(record->event["timestamp"], "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(record->logs[0]["message"], "login [REDACTED]");
  EXPECT_EQ(record->logs[0]["fields"]["user"], "[REDACTED]");
  EXPECT_EQ(record->calls[0]["arguments"]["key"], "[REDACTED]");
  EXPECT_EQ(record->calls[1]["error"], "disk full");
  EXPECT_FALSE(record->calls[1].contains("result"));
  EXPECT_EQ(record->response["headers"]["Set-Cookie"], "[REDACTED]");
  EXPECT_EQ(record->response["body"], "ok");
  EXPECT_EQ(record->duration_ms, 1.5);
  auto second = (*reader)->next();
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((**second).parse()->seq, 2U);
  EXPECT_FALSE((*reader)->next());
  fs::remove(path);
}

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The engine's writer (its own thread, handed 64 KiB buffers; records from
// their parts or from a worker's text) writes byte for byte what the
// caller's writer writes, and a flush leaves every record in the file,
// whatever the record sizes and buffer boundaries.
TEST(TapeTest, TheBackgroundWriterWritesExactlyWhatTheCallersWriterWrites) {
  const fs::path plain = temp_tape("plain");
  const fs::path background = temp_tape("background");
  nimbus::recorder::TapeHeader header;
  header.function_name = "f";
  header.created = "2026-11-28T00:00:00.000Z";
  auto a = TapeWriter::open(plain, header, {});
  auto b = TapeWriter::open(background, header, {}, TapeWriter::Writes::kBackground);
  ASSERT_TRUE(a && b);
  nimbus::format::RecordText r;
  nimbus::detail::EventData d = sample_event();
  std::size_t written = 0;
  for (int i = 0; i < 3000; ++i) {
    d.id = "e" + std::to_string(i);
    d.body = std::string(static_cast<std::size_t>((i * 7919) % 9000), static_cast<char>('a' + i % 26));
    nimbus::detail::EventBuffer event(d);
    r.clear();
    r.event(event.event());
    r.response(nimbus::Response::text(std::to_string(i)));
    (*a)->write(r, 1.0);
    if (i % 2 == 0) {
      (*b)->write(r, 1.0);
    } else {  // as the engine writes a worker's record: its text after the seq member
      std::string rest;
      nimbus::format::append_record_rest(rest, r.parts(), 1.0);
      (*b)->write_rest(rest);
    }
    (*b)->hand_over_if_full();
    ++written;
    if (i % 997 == 0) {  // a flush in the middle: both files hold the same, whole lines
      ASSERT_TRUE((*a)->flush());
      ASSERT_TRUE((*b)->flush());
      const std::string got = file_text(background);
      EXPECT_EQ(got, file_text(plain)) << "after record " << i;
      EXPECT_EQ(static_cast<std::size_t>(std::count(got.begin(), got.end(), '\n')), written + 1);
    }
  }
  a->reset();
  b->reset();
  const std::string want = file_text(plain);
  EXPECT_GT(want.size(), std::size_t{10} << 20);  // many hand-overs, past many buffer boundaries
  EXPECT_TRUE(file_text(background) == want) << "the background writer's tape differs";
  auto reader = TapeReader::open(background);
  ASSERT_TRUE(reader) << reader.error().message;
  std::size_t records = 0;
  while (auto line = (*reader)->next()) {
    ASSERT_TRUE(*line) << (*line).error().message;
    ++records;
  }
  EXPECT_EQ(records, 3000U);
  fs::remove(plain);
  fs::remove(background);
}

// A worker's record text: the parts are found inside it from their sizes, and
// a text that is not one is refused rather than trusted.
TEST(TapeTest, ARecordsPartsAreFoundInItsTextFromTheirSizes) {
  nimbus::format::RecordText r;
  nimbus::detail::EventBuffer event(sample_event());
  r.event(event.event());
  r.call("kv", "get", R"({"key":"a"})", R"("b")", std::nullopt);
  r.log(nimbus::LogLevel::kInfo, "hello", R"({"n":1})", "");
  r.response(nimbus::Response::text("ok"));
  const auto p = r.parts();
  std::string rest;
  nimbus::format::append_record_rest(rest, p, 0.5);
  auto found =
      nimbus::format::record_parts_in(rest, p.event.size(), p.calls.size(), p.logs.size(), p.response.size());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->event, p.event);
  EXPECT_EQ(found->calls, p.calls);
  EXPECT_EQ(found->logs, p.logs);
  EXPECT_EQ(found->response, p.response);
  EXPECT_EQ(Json::parse(R"({"seq":7)" + rest)["timing"]["durationMs"], 0.5);
  // Sizes that do not fit, a cut text, and a text with a literal out of place.
  EXPECT_FALSE(nimbus::format::record_parts_in(rest, p.event.size() + 1, p.calls.size(), p.logs.size(),
                                               p.response.size()));
  EXPECT_FALSE(nimbus::format::record_parts_in(rest.substr(0, rest.size() - 1), p.event.size(),
                                               p.calls.size(), p.logs.size(), p.response.size()));
  std::string wrong = rest;
  wrong[1] = 'E';
  EXPECT_FALSE(nimbus::format::record_parts_in(wrong, p.event.size(), p.calls.size(), p.logs.size(),
                                               p.response.size()));
  EXPECT_FALSE(nimbus::format::record_parts_in("", 0, 0, 0, 0));
}

TEST(TapeTest, SecretsAreRedactedInsideStringsOnly) {
  std::string text = R"({"status":1234,"body":"pin 1234","1234":"x\"1234"})";
  nimbus::recorder::redact_secrets(text, {"1234"});
  EXPECT_EQ(text, R"({"status":1234,"body":"pin [REDACTED]","[REDACTED]":"x\"[REDACTED]"})");
  EXPECT_TRUE(Json::accept(text));
}

TEST(TapeTest, EventsRoundTripThroughTheEventFileFormat) {
  nimbus::detail::EventData d = sample_event();
  d.headers = {{"X-A", "1"}};
  d.content_type = "application/octet-stream";
  d.body = std::string("\x00\x01\xff", 3);
  nimbus::detail::EventBuffer original(d);
  nimbus::format::RecordText text;
  text.event(original.event());
  Json j = Json::parse(text.event_json());
  EXPECT_TRUE(j.contains("bodyBase64"));
  auto back = nimbus::format::parse_event(j, "x");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->encode(), d.encode());
}

TEST(TapeTest, CloudEventAndStreamAttributesRoundTripThroughTheTape) {
  nimbus::detail::EventData d = sample_event();
  d.headers = {{"X-A", "1"}};  // a header given twice is recorded joined: not this test's subject
  d.ce_type = "com.example.t";
  d.ce_source = "/s";
  d.ce_spec_version = "1.0";
  d.ce_time = "2026-12-01T10:00:00Z";
  d.ce_data_schema = "https://example.com/t.json";
  d.ce_extensions = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"n", "7"}};
  d.has_stream = true;
  d.topic = "orders";
  d.partition = 3;
  d.num_shards = 12;
  d.offset = 1234567890123;
  d.last_in_batch = true;
  nimbus::detail::EventBuffer original(d);
  nimbus::format::RecordText text;
  text.event(original.event());
  for (bool in_place : {false, true}) {
    auto back = in_place ? nimbus::format::parse_event_text(text.event_json(), "x")
                         : nimbus::format::parse_event(Json::parse(text.event_json()), "x");
    ASSERT_TRUE(back) << back.error().message << " in " << text.event_json();
    EXPECT_EQ(*back, d) << text.event_json();
  }
}

TEST(TapeTest, RecordTextIsValidJsonForAnyBytes) {
  nimbus::format::RecordText text;
  const std::string awkward("\x01\x1f\b\f\t\"\\/\xe2\x82\xac\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80", 19);
  text.log(nimbus::LogLevel::kWarn, awkward, "", awkward);
  text.response(nimbus::Response::text(awkward, 500).with_header(awkward, awkward));
  Json logs = Json::parse("[" + std::string(text.log_items()) + "]");
  EXPECT_EQ(logs[0]["level"], "warn");
  EXPECT_EQ(logs[0]["message"].get<std::string>().substr(0, 12), "\x01\x1f\b\f\t\"\\/\xe2\x82\xac\xef");
  Json response = Json::parse(text.response_json());
  EXPECT_EQ(response["status"], 500);
  EXPECT_TRUE(response.contains("bodyBase64"));  // not printable text
}

TEST(TapeTest, StringsWithAndWithoutEscapesReadBackExactly) {
  // Plain strings take a one-copy path; anything else the escaping one, from where it starts.
  const std::vector<std::string> strings{"",
                                         "plain",
                                         "plain then \"quoted\"",
                                         "plain then \x01",
                                         "caf\xc3\xa9",
                                         "tab\tnewline\n",
                                         std::string(300, 'x') + "\\"};
  nimbus::format::RecordText text;
  for (const auto& s : strings) text.log(nimbus::LogLevel::kInfo, s, "", s);
  Json logs = Json::parse("[" + std::string(text.log_items()) + "]");
  ASSERT_EQ(logs.size(), strings.size());
  for (std::size_t i = 0; i < strings.size(); ++i) {
    EXPECT_EQ(logs[i]["message"], strings[i]);
    if (!strings[i].empty()) {
      EXPECT_EQ(logs[i]["logger"], strings[i]);
    }
  }
  EXPECT_EQ(nimbus::detail::json_plain_prefix("ab\"c"), 2U);
  EXPECT_EQ(nimbus::detail::json_plain_prefix("abc"), 3U);
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
  EXPECT_EQ((**d).parse()->response["status"], 201);
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

TEST(ReplayDiffTest, NuclioLogTimesAreNotCompared) {
  // X-Nuclio-Logs records carry a time (nuclio's shape); a replay compares them without it.
  auto response = [](const std::string& logs) {
    return Json{{"status", 200}, {"headers", {{"X-Nuclio-Logs", logs}}}};
  };
  const auto a = response(R"([{"level":"info","time":1764576000123.5,"name":"f","message":"hi","n":1}])");
  const auto b = response(R"([{"level":"info","time":1764576999999,"name":"f","message":"hi","n":1}])");
  const auto c = response(R"([{"level":"info","time":1764576000123.5,"name":"f","message":"bye","n":1}])");
  EXPECT_FALSE(nimbus::replay::compare_part("response", a, b));
  auto d = nimbus::replay::compare_part("response", a, c);
  ASSERT_TRUE(d);
  EXPECT_NE(d->actual.find("bye"), std::string::npos) << d->actual;
}

TEST(ReplayDiffTest, UnifiedDiffShowsHunksWithContext) {
  std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(nimbus::replay::unified_diff(a, b, "a", "b", 2),
            "--- a\n+++ b\n@@ -3,5 +3,5 @@\n 3\n 4\n-5\n+five\n 6\n 7\n");
  EXPECT_EQ(nimbus::replay::unified_diff(a, a, "a", "b"), "");
}

}  // namespace
