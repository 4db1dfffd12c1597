#include "nimbus/format/event_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nimbus/format/json_text.hpp"

namespace {

namespace fs = std::filesystem;
using nimbus::Json;
using nimbus::format::EventFileFeed;
using nimbus::format::parse_event;

TEST(EventFileTest, FullEvent) {
  auto e = nimbus::format::parse_event(Json::parse(R"({
    "id": "e1", "trigger": {"kind": "http", "name": "web"}, "method": "post", "path": "/a?x=1&y=two%20words",
    "headers": {"X-Name": "Ada", "X-Count": 3}, "body": {"k": [1, 2]},
    "timestamp": "2026-11-27T13:00:00.250Z",
    "cloudEvent": {"type": "t", "source": "/s", "subject": "sub", "time": "2026-11-27T14:00:00+01:00",
                   "dataschema": "https://example.com/s.json", "extensions": {"tenant": "acme", "priority": 3}},
    "stream": {"topic": "orders", "partition": 2, "numShards": 4, "offset": 99, "lastInBatch": true}
  })"),
                                       "default");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->id, "e1");
  EXPECT_EQ(e->trigger_name, "web");
  EXPECT_EQ(e->method, "POST");
  EXPECT_EQ(e->path, "/a");
  EXPECT_EQ(e->url, "/a?x=1&y=two%20words");
  EXPECT_EQ(e->fields, (std::vector<std::pair<std::string, std::string>>{{"x", "1"}, {"y", "two words"}}));
  EXPECT_EQ(e->headers[1].second, "3");
  EXPECT_EQ(e->content_type, "application/json");
  EXPECT_EQ(Json::parse(e->body), Json::parse(R"({"k":[1,2]})"));
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(e->timestamp.time_since_epoch()).count(),
            1795784400250LL);
  EXPECT_EQ(e->ce_spec_version, "1.0");
  EXPECT_EQ(e->ce_subject, "sub");
  EXPECT_EQ(e->ce_data_schema, "https://example.com/s.json");
  EXPECT_EQ(e->ce_extensions,
            (std::vector<std::pair<std::string, std::string>>{{"tenant", "acme"}, {"priority", "3"}}));
  EXPECT_TRUE(e->has_stream);
  EXPECT_EQ(e->topic, "orders");
  EXPECT_EQ(e->partition, 2);
  EXPECT_EQ(e->num_shards, 4);
  EXPECT_EQ(e->offset, 99);
  EXPECT_TRUE(e->last_in_batch);
}

TEST(EventFileTest, AStreamEventsPathIsItsTopicAsGiven) {
  // What a stream trigger records (its topic as the path) reads back as it was: tapes replay.
  auto e = nimbus::format::parse_event(
      Json::parse(R"({"trigger": {"kind": "nats", "name": "n"}, "path": "orders.eu"})"), "x");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ((std::pair{e->path, e->url}), (std::pair<std::string, std::string>{"orders.eu", "orders.eu"}));
  EXPECT_TRUE(e->fields.empty());
  auto http = nimbus::format::parse_event(Json::parse(R"({"path": "orders.eu"})"), "x");
  ASSERT_FALSE(http);  // an HTTP event's path is a request target
}

TEST(EventFileTest, Defaults) {
  auto e = nimbus::format::parse_event(Json::object(), "01-get");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->id, "01-get");
  EXPECT_EQ(e->trigger_kind, "http");
  EXPECT_EQ(e->method, "GET");
  EXPECT_EQ(e->path, "/");
  EXPECT_TRUE(e->body.empty());
  auto post = nimbus::format::parse_event(Json{{"body", "hi"}}, "x");
  EXPECT_EQ(post->method, "POST");
  EXPECT_EQ(post->content_type, "text/plain; charset=utf-8");
  auto cron = nimbus::format::parse_event(Json{{"trigger", {{"kind", "cron"}}}}, "x");
  EXPECT_EQ(cron->method, "");
  EXPECT_EQ(cron->trigger_name, "cron");
}

TEST(EventFileTest, Base64BodyAndExplicitContentType) {
  auto e = nimbus::format::parse_event(
      Json{{"bodyBase64", "AAH/"}, {"headers", {{"content-type", "image/png"}}}}, "x");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->body, std::string("\x00\x01\xff", 3));
  EXPECT_EQ(e->content_type, "image/png");
}

struct BadEvent {
  const char* json;
  const char* message;
};
class EventFileErrorTest : public ::testing::TestWithParam<BadEvent> {};

TEST_P(EventFileErrorTest, NamesTheField) {
  auto e = nimbus::format::parse_event(Json::parse(GetParam().json), "x");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, EventFileErrorTest,
    ::testing::Values(
        BadEvent{R"([1])", "an event must be a JSON object, got array"},
        BadEvent{R"({"heders": {}})",
                 "unknown field 'heders' (expected: id, trigger, method, path, headers, fields, contentType, "
                 "body, "
                 "bodyBase64, timestamp, cloudEvent, stream, url)"},
        BadEvent{R"({"headers": ["a"]})", "field 'headers': expected an object of strings, got array"},
        BadEvent{R"({"headers": {"a": {"b": 1}}})", "field 'headers.a': expected a string, got object"},
        BadEvent{R"({"method": 1})", "field 'method': expected a string, got number"},
        BadEvent{R"({"path": "nope"})", "field 'path': must start with '/', got 'nope'"},
        BadEvent{R"({"body": "a", "bodyBase64": "YQ=="})",
                 "fields 'body' and 'bodyBase64' exclude each other"},
        BadEvent{R"({"bodyBase64": "!!"})", "field 'bodyBase64': not valid base64"},
        BadEvent{R"({"timestamp": "yesterday"})",
                 "field 'timestamp': 'yesterday' is not an RFC 3339 time (e.g. 2026-11-27T13:00:00Z)"},
        BadEvent{R"({"cloudEvent": {"source": "/s"}})",
                 "field 'cloudEvent.type': missing (CloudEvents require it)"},
        BadEvent{R"({"cloudEvent": {"type": "t", "source": "/s", "id": "x"}})",
                 "unknown field 'cloudEvent.id' (expected: type, source, specversion, subject, time, "
                 "dataschema, extensions)"},
        BadEvent{R"({"cloudEvent": {"type": "t", "source": "/s", "extensions": {"Tenant": "x"}}})",
                 "field 'cloudEvent.extensions': 'Tenant' is not an extension name (lower-case letters and "
                 "digits only)"},
        BadEvent{R"({"stream": {"numShards": -1}})",
                 "field 'stream.numShards': expected 0 to 4294967295, got -1"},
        BadEvent{R"({"stream": {"lastInBatch": 1}})",
                 "field 'stream.lastInBatch': expected a boolean, got number"},
        BadEvent{R"({"stream": {"offset": "7"}})",
                 "field 'stream.offset': expected an integer, got string"}));

// The event's timestamp after reading `time`, or the error.
nimbus::Result<std::chrono::system_clock::time_point> read_time(const std::string& time) {
  auto e = nimbus::format::parse_event(Json{{"timestamp", time}}, "t");
  if (!e) return e.error();
  return e->timestamp;
}

TEST(EventFileTimeTest, ReadsRfc3339WithZonesFractionsAndLeapDays) {
  using namespace std::chrono;
  const auto base = sys_days{year{2026} / 11 / 27} + hours(13);
  for (const auto& [text, expected] : std::vector<std::pair<std::string, system_clock::time_point>>{
           {"2026-11-27T13:00:00Z", base},
           {"2026-11-27t13:00:00z", base},
           {"2026-11-27 13:00:00Z", base},
           {"2026-11-27T14:30:00+01:30", base},
           {"2026-11-27T01:00:00-12:00", base},
           {"2026-11-28T00:30:00+11:30", base},
           {"2026-11-27T13:00:00.250Z", base + milliseconds(250)},
           {"2026-11-27T13:00:00.123456789Z", base + nanoseconds(123456789)},
           {"2026-11-27T13:00:00.1234567891234Z", base + nanoseconds(123456789)},
           {"2024-02-29T00:00:00Z", sys_days{year{2024} / 2 / 29}},
           {"2000-02-29T00:00:00Z", sys_days{year{2000} / 2 / 29}},
           {"1969-12-31T23:59:59Z", sys_days{year{1970} / 1 / 1} - seconds(1)},
           {"2016-12-31T23:59:60Z", sys_days{year{2017} / 1 / 1}},  // a leap second
       }) {
    auto t = read_time(text);
    ASSERT_TRUE(t) << text << ": " << t.error().message;
    EXPECT_EQ(*t, expected) << text;
  }
}

TEST(EventFileTimeTest, RefusesWhatIsNotRfc3339) {
  for (const char* text :
       {"2026-11-27T13:00:00+ab:cd",  // the issue's case: any two characters as an offset
        "2026-11-27T13:00:00+1a:00", "2026-11-27T13:00:00+24:00", "2026-11-27T13:00:00+05:60",
        "2026-11-27T13:00:00+0100", "2026-11-27T13:00:00", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
        "2026-11-31T00:00:00Z", "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-11-27T24:00:00Z",
        "2026-11-27T13:60:00Z", "2026-11-27T13:00:61Z", "2026-11-27T13:00:00.Z", "2026-11-27T13:00:00ZZ",
        "2026-1a-27T13:00:00Z", "+026-11-27T13:00:00Z", "2026-11-27X13:00:00Z"}) {
    auto t = read_time(text);
    ASSERT_FALSE(t) << text << " was read";
    EXPECT_EQ(t.error().message, std::string("field 'timestamp': '") + text +
                                     "' is not an RFC 3339 time (e.g. 2026-11-27T13:00:00Z)");
  }
}

TEST(EventFileTimeTest, TimesANanosecondClockCannotHoldAreRefusedNotOverflowed) {
  // Found by the tape line fuzzer: year 9999 overflowed the 64-bit nanosecond count (undefined behaviour).
  for (const char* text :
       {"9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "1677-09-20T00:00:00Z", "0000-01-01T00:00:00Z"}) {
    auto t = read_time(text);
    ASSERT_FALSE(t) << text;
    EXPECT_EQ(t.error().message,
              std::string("field 'timestamp': '") + text +
                  "' is outside the times a nanosecond clock holds (1677-09-21 to 2262-04-11)");
  }
  EXPECT_TRUE(read_time("2262-04-10T00:00:00Z"));
  EXPECT_TRUE(read_time("1677-09-22T00:00:00Z"));
}

TEST(EventFileTimeTest, AgreesWithTheCalendarOnEveryDayOfTwoCenturies) {
  using namespace std::chrono;
  for (sys_days day = sys_days{year{1900} / 1 / 1}; day < sys_days{year{2100} / 1 / 1}; day += days(1)) {
    const year_month_day ymd{day};
    const auto at = day + hours(7) + minutes(8) + seconds(9) + nanoseconds(10);
    const std::string text =
        fmt::format("{:04}-{:02}-{:02}T07:08:09.000000010Z", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    auto t = read_time(text);
    ASSERT_TRUE(t) << text;
    ASSERT_EQ(*t, at) << text;
  }
}

TEST(EventFileTest, ANumberOutOfRangeIsAnErrorNotAnAbort) {
  const std::string text = R"({"body": {"a": 1e999}})";
  auto fast = nimbus::format::parse_event_text(text, "big");
  ASSERT_FALSE(fast);
  EXPECT_NE(fast.error().message.find("1e999"), std::string::npos) << fast.error().message;
}

class EventFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nimbus-feed-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::vector<nimbus::format::FeedItem> drain(nimbus::format::EventFileFeed& feed) {
    std::vector<nimbus::format::FeedItem> items;
    while (auto item = feed.next()) items.push_back(std::move(*item));
    return items;
  }
  fs::path dir_;
};

TEST_F(EventFeedTest, DirectoryInNameOrderWithNdjsonAndArrays) {
  write("b.ndjson", "{\"path\": \"/b1\"}\n\n{\"path\": \"/b2\"}\n");
  write("a.json", "{\"path\": \"/a\"}");
  write("c.json", "[{\"path\": \"/c1\"}, {\"path\": \"/c2\"}]");
  write("notes.txt", "ignored");
  auto feed = nimbus::format::EventFileFeed::open({dir_.string()});
  ASSERT_TRUE(feed) << feed.error().message;
  auto items = drain(*feed);
  std::vector<std::string> paths, ids;
  for (auto& i : items) {
    ASSERT_TRUE(i.event) << i.event.error().message;
    paths.push_back(i.event->path);
    ids.push_back(i.event->id);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b1", "/b2", "/c1", "/c2"}));
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b-1", "b-3", "c-1", "c-2"}));
  EXPECT_EQ(items[2].origin, (dir_ / "b.ndjson").string() + ":3");
}

TEST_F(EventFeedTest, BadLinesAreReportedWithTheirLineAndTheRestStillRead) {
  write("e.ndjson", "{\"path\": \"/ok\"}\n{\"path\": \n{\"method\": 5}\n{\"path\": \"/last\"}\n");
  auto feed = nimbus::format::EventFileFeed::open({(dir_ / "e.ndjson").string()});
  ASSERT_TRUE(feed);
  auto items = drain(*feed);
  ASSERT_EQ(items.size(), 4U);
  EXPECT_TRUE(items[0].event);
  ASSERT_FALSE(items[1].event);
  EXPECT_EQ(items[1].event.error().message.rfind(
                (dir_ / "e.ndjson").string() + ":2: invalid JSON: line 1, column 10", 0),
            0U)
      << items[1].event.error().message;
  ASSERT_FALSE(items[2].event);
  EXPECT_EQ(items[2].event.error().message,
            (dir_ / "e.ndjson").string() + ":3: field 'method': expected a string, got number");
  EXPECT_TRUE(items[3].event);
}

TEST_F(EventFeedTest, NumbersOutOfRangeAreNamedAndTheRestStillRead) {
  write("a.json", R"({"body": {"a": 1e999}})");
  write("b.ndjson", "{\"body\": {\"a\": -1e999}}\n{\"path\": \"/next\"}\n");
  std::istringstream in("{\"body\": 1e400}\n{\"id\": \"after\"}\n");
  auto feed = nimbus::format::EventFileFeed::open(
      {(dir_ / "a.json").string(), (dir_ / "b.ndjson").string(), "-"}, {}, &in);
  ASSERT_TRUE(feed);
  auto items = drain(*feed);
  ASSERT_EQ(items.size(), 5U);
  EXPECT_EQ(items[0].event.error().message,
            (dir_ / "a.json").string() + ": invalid JSON: number overflow parsing '1e999'");
  EXPECT_EQ(items[1].event.error().message,
            (dir_ / "b.ndjson").string() + ":1: invalid JSON: number overflow parsing '-1e999'");
  EXPECT_EQ(items[2].event->path, "/next");
  EXPECT_EQ(items[3].event.error().message, "-:1: invalid JSON: number overflow parsing '1e400'");
  EXPECT_EQ(items[4].event->id, "after");
}

TEST_F(EventFeedTest, ARawNulByteIsRefusedNotTheRestOfTheFileDropped) {
  // nlohmann stops reading at a NUL: {"path":"/a"}\0... read as one event, the rest unseen (found by
  // fuzzing).
  using namespace std::string_literals;
  write("nul.json", "{\"path\":\"/a\"}\0{\"path\":\"/hidden\"}"s);
  write("nul.ndjson", "{\"path\":\"/b\"}\n{\"path\":\"/c\"}\0x\n"s);
  auto feed = EventFileFeed::open({(dir_ / "nul.json").string(), (dir_ / "nul.ndjson").string()});
  ASSERT_TRUE(feed);
  auto items = drain(*feed);
  ASSERT_EQ(items.size(), 3U);
  EXPECT_EQ(
      items[0].event.error().message,
      (dir_ / "nul.json").string() + ": invalid JSON: a NUL byte at offset 13 (JSON text cannot hold one)");
  EXPECT_EQ(items[1].event->path, "/b");
  EXPECT_EQ(items[2].event.error().message,
            (dir_ / "nul.ndjson").string() +
                ":2: invalid JSON: a NUL byte at offset 13 (JSON text cannot hold one)");
  auto in_place = nimbus::format::parse_event_text("{\"path\":\"/a\"}\0"s, "x");
  ASSERT_FALSE(in_place);
  EXPECT_EQ(in_place.error().message, "not JSON: a NUL byte at offset 13 (JSON text cannot hold one)");
}

TEST_F(EventFeedTest, MalformedJsonFileGivesLineAndColumn) {
  write("bad.json", "{\n  \"path\": \"/\",\n  oops\n}");
  auto feed = nimbus::format::EventFileFeed::open({(dir_ / "bad.json").string()});
  auto items = drain(*feed);
  ASSERT_EQ(items.size(), 1U);
  ASSERT_FALSE(items[0].event);
  EXPECT_EQ(items[0].event.error().message.rfind(
                (dir_ / "bad.json").string() + ": invalid JSON: line 3, column 3", 0),
            0U)
      << items[0].event.error().message;
}

TEST_F(EventFeedTest, StandardInputIsStreamed) {
  std::istringstream in("{\"id\": \"s1\"}\n{\"id\": \"s2\"}\n");
  auto feed = nimbus::format::EventFileFeed::open({"-"}, {}, &in);
  ASSERT_TRUE(feed);
  auto first = feed->next();
  ASSERT_TRUE(first && first->event);
  EXPECT_EQ(first->event->id, "s1");
  EXPECT_EQ(first->origin, "-:1");
  EXPECT_EQ(in.tellg(), 13);  // only the first line has been read
  auto second = feed->next();
  EXPECT_EQ(second->event->id, "s2");
  EXPECT_FALSE(feed->next());
}

TEST_F(EventFeedTest, MissingInputsAreRefusedUpFront) {
  auto feed = nimbus::format::EventFileFeed::open({(dir_ / "nope.json").string()});
  ASSERT_FALSE(feed);
  EXPECT_EQ(feed.error().message, (dir_ / "nope.json").string() + ": no such event file or directory");
  auto empty = nimbus::format::EventFileFeed::open({dir_.string()});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, dir_.string() + ": no event files (*.json, *.ndjson) in this directory");
}

}  // namespace

namespace {

// Reading an event's text in place gives what parsing it into values gives: the same event, the same error.
TEST(EventFileTest, TextAndValuesReadAlike) {
  const std::vector<std::string> texts = {
      R"({"id":"e1","trigger":{"kind":"http","name":"web"},"method":"POST","path":"/a","url":"/a?x=1",)"
      R"("headers":{"X-A":"1","X-Esc":"tab\there \"q\" \u00e9 \ud83d\ude00"},"fields":{"x":"1"},)"
      R"("contentType":"text/plain","body":"hi\n","timestamp":"2026-11-27T13:00:00.123456789Z"})",
      R"({"path":"/?name=Ada"})",
      R"({"bodyBase64":"AAH/","timestamp":"2026-11-27T14:00:00+01:00"})",
      R"({"headers":{"X-Count":3},"body":{"k":[1,2.50]}})",  // values only: numbers and a JSON body
      R"({"cloudEvent":{"type":"t","source":"s","time":"2026-11-27T13:00:00Z"},"stream":{"topic":"q","partition":2,"offset":9}})",
      R"({"cloudEvent":{"type":"t","source":"s","dataschema":"u","extensions":{"a1":"x","b":"y"}},)"
      R"("stream":{"topic":"q","numShards":3,"lastInBatch":true}})",
      R"({"cloudEvent":{"type":"t","source":"s","extensions":{"n":7}}})",  // values only: a number as text
      R"({"id":"x","color":"red"})",                                       // unknown field
      R"({"path":"no-slash"})",                                            // a bad path
      R"({"timestamp":"yesterday"})",                                      // a bad time
      R"({"stream":{"partition":"two"}})",                                 // a bad partition
      R"({"id":"x","trigger":)",                                           // truncated
      R"({"id":"\x"})",                                                    // a bad escape
  };
  for (const auto& text : texts) {
    auto fast = nimbus::format::parse_event_text(text, "d");
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded()) {
      ASSERT_FALSE(fast) << text;
      EXPECT_EQ(fast.error().message.rfind("not JSON: ", 0), 0U) << fast.error().message;
      continue;
    }
    auto slow = nimbus::format::parse_event(j, "d");
    ASSERT_EQ(static_cast<bool>(fast), static_cast<bool>(slow)) << text;
    if (slow) {
      if (text.find("timestamp") == std::string::npos) fast->timestamp = slow->timestamp;  // both "now"
      EXPECT_EQ(fast->encode(), slow->encode()) << text;
    } else {
      EXPECT_EQ(fast.error().message, slow.error().message) << text;
    }
  }
}

TEST(JsonTextTest, ReadsMembersInPlace) {
  auto t =
      nimbus::format::JsonText::parse(R"( {"a": [1, {"b": "]"}], "c\"d": "x\\y", "n": -12, "t": true} )");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->items().size(), 4U);
  EXPECT_EQ((*t)["a"].text(), R"([1, {"b": "]"}])");
  EXPECT_EQ((*t)["c\"d"].get<std::string>(), "x\\y");
  EXPECT_EQ((*t)["n"].get<std::int64_t>(), -12);
  EXPECT_TRUE((*t)["t"].get<bool>());
  EXPECT_TRUE((*t)["missing"].is_null());
  EXPECT_EQ((*t)["a"].elements()->size(), 2U);
  EXPECT_FALSE(nimbus::format::JsonText::parse(R"({"a": "open)"));
  EXPECT_FALSE(nimbus::format::JsonText::parse(R"({"a": [1, 2})"));
  EXPECT_FALSE(nimbus::format::JsonText::parse(R"({"a": 1} x)"));
}

}  // namespace
