// Triggers: the registry, attributes, the serving plan, and the built-in kinds
// run against a submitter of the test's own (as the emulator runs them).
#include "nimbus/engine/trigger.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nimbus/engine/serve_plan.hpp"

namespace {

namespace fs = std::filesystem;
using nimbus::Json;
using nimbus::Response;
using nimbus::engine::EventLoop;
using nimbus::engine::Submitter;
using nimbus::engine::Trigger;
using nimbus::engine::TriggerEnvironment;
using nimbus::engine::TriggerRegistry;
using nimbus::engine::TriggerSpec;

TriggerRegistry builtin() {
  TriggerRegistry r;
  nimbus::engine::register_builtin_triggers(r);
  return r;
}

// Answers every event at once with its path and trigger, and keeps what it saw.
class Echo final : public Submitter {
 public:
  void submit(const nimbus::Event& event, std::string_view origin, Done done) override {
    seen.push_back(std::string(origin) + " " + std::string(event.trigger_kind()) + "/" +
                   std::string(event.trigger_name()) + " " + std::string(event.path()));
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    done(Response::text(std::string(event.method()) + " " + std::string(event.path())));
  }
  void reject(std::string_view origin, std::string_view why) override {
    rejected.push_back(std::string(origin) + " | " + std::string(why));
  }
  void notice(std::string_view message, bool /*warning*/) override { notices.emplace_back(message); }
  std::vector<std::string> seen;
  std::vector<std::string> notices;
  std::vector<std::string> rejected;
  bool hold = false;  // answer later, through `held`
  std::vector<Done> held;
};

TEST(TriggerRegistryTest, AnUnknownKindNamesTheFieldAndTheKindsThereAre) {
  auto t = builtin().make({"orders", "kafka", 1, Json::object()}, {});
  ASSERT_FALSE(t);
  EXPECT_EQ(
      t.error().message,
      "spec.triggers.orders.kind: unknown trigger kind 'kafka' (known: cron, file, http, kafka-cluster, "
      "mqtt, nats, redis-stream)");
}

TEST(TriggerRegistryTest, AKindIsAFactoryAndARegistration) {
  // What a new source takes: a Trigger and one line in the registry.
  class Once final : public Trigger {
   public:
    using Trigger::Trigger;
    nimbus::Result<void> open(EventLoop& /*loop*/) noexcept override { return {}; }
    void drain() override {}
    [[nodiscard]] bool idle() const override { return true; }
  };
  TriggerRegistry r;
  r.add("once",
        [](const TriggerSpec& spec, const TriggerEnvironment&) -> nimbus::Result<std::unique_ptr<Trigger>> {
          return std::unique_ptr<Trigger>(std::make_unique<Once>(spec));
        });
  EXPECT_EQ(r.kinds(), (std::vector<std::string>{"once"}));
  auto t = r.make({"tick", "once", 3, Json::object()}, {});
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)->spec().name, "tick");
  EXPECT_EQ((*t)->spec().num_workers, 3);
}

TEST(TriggerAttributeTest, WholeNumbersFromTextOrNumbersWithinTheirRange) {
  const TriggerSpec spec{"web", "http", 1, Json{{"port", "9000"}, {"n", 7}, {"bad", "90x"}, {"big", 70000}}};
  EXPECT_EQ(*nimbus::engine::integer_attribute(spec, "port", 8080, 0, 65535), 9000);
  EXPECT_EQ(*nimbus::engine::integer_attribute(spec, "n", 0, 0, 10), 7);
  EXPECT_EQ(*nimbus::engine::integer_attribute(spec, "absent", 8080, 0, 65535), 8080);
  EXPECT_EQ(nimbus::engine::integer_attribute(spec, "bad", 0, 0, 65535).error().message,
            "spec.triggers.web.attributes.bad: expected a whole number from 0 to 65535, got '90x'");
  EXPECT_EQ(nimbus::engine::integer_attribute(spec, "big", 0, 0, 65535).error().message,
            "spec.triggers.web.attributes.big: expected a whole number from 0 to 65535, got 70000");
  auto http = builtin().make({"web", "http", 1, Json{{"port", "eighty"}}}, {});
  ASSERT_FALSE(http);
  EXPECT_EQ(http.error().message,
            "spec.triggers.web.attributes.port: expected a whole number from 0 to 65535, got 'eighty'");
}

TEST(TriggerAttributeTest, ListsFromYamlListsOrCommaSeparatedText) {
  const TriggerSpec spec{
      "q", "kafka-cluster", 1,
      Json{{"brokers", "a:1, b:2,,c:3"}, {"topics", {"t1", "t2"}}, {"bad", {1}}, {"n", 3}}};
  EXPECT_EQ(*nimbus::engine::string_list_attribute(spec, "brokers"),
            (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_EQ(*nimbus::engine::string_list_attribute(spec, "topics"), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_TRUE(nimbus::engine::string_list_attribute(spec, "absent")->empty());
  EXPECT_EQ(nimbus::engine::string_list_attribute(spec, "bad").error().message,
            "spec.triggers.q.attributes.bad: expected strings, got number");
  EXPECT_EQ(nimbus::engine::string_list_attribute(spec, "n").error().message,
            "spec.triggers.q.attributes.n: expected a list of strings, got number");
}

TEST(ServePlanTest, ADefaultHttpTriggerAndTheCommandLineOverFunctionYaml) {
  nimbus::engine::FunctionConfig config;
  config.file = "/f/function.yaml";
  config.event_timeout = std::chrono::seconds(3);
  auto plan = nimbus::engine::plan_triggers(config, {}, {});
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->size(), 1U);
  EXPECT_EQ((*plan)[0].spec.name, "http");
  EXPECT_EQ((*plan)[0].pool.num_workers, 1);
  EXPECT_EQ((*plan)[0].pool.event_timeout, std::chrono::seconds(3));

  config.triggers = {{"web", "http", 4, Json{{"port", "9000"}, {"workerMode", "thread"}}},
                     {"events", "file", 2, Json{{"paths", {"a.json"}}}}};
  nimbus::engine::ServeOverrides o;
  o.port = 0;
  o.event_timeout = std::chrono::milliseconds(500);
  plan = nimbus::engine::plan_triggers(config, o, {});
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->size(), 2U);
  EXPECT_EQ((*plan)[0].spec.attributes["port"], 0);  // --port goes to the http trigger
  EXPECT_EQ((*plan)[0].pool.num_workers, 4);
  EXPECT_EQ((*plan)[0].pool.worker.mode, nimbus::engine::WorkerMode::kThread);
  EXPECT_EQ((*plan)[1].pool.num_workers, 2);
  EXPECT_EQ((*plan)[1].pool.worker.mode, nimbus::engine::WorkerMode::kProcess);
  EXPECT_EQ((*plan)[1].pool.event_timeout, std::chrono::milliseconds(500));
  EXPECT_FALSE((*plan)[1].spec.attributes.contains("port"));
  o.workers = 3;
  plan = nimbus::engine::plan_triggers(config, o, {});
  EXPECT_EQ((*plan)[0].pool.num_workers, 3);  // --workers goes to every trigger
  EXPECT_EQ((*plan)[1].pool.num_workers, 3);
}

TEST(ServePlanTest, ErrorsNameTheFlagOrTheField) {
  nimbus::engine::FunctionConfig config;
  config.file = "/f/function.yaml";
  config.triggers = {{"a", "http", 1, Json::object()}, {"b", "http", 1, Json::object()}};
  nimbus::engine::ServeOverrides o;
  o.port = 8000;
  EXPECT_EQ(
      nimbus::engine::plan_triggers(config, o, {}).error().message,
      "--port: function.yaml declares 2 http triggers; set attributes.port and attributes.maxRequestBodySize "
      "on each instead");
  config.triggers = {{"a", "http", 1, Json{{"workerMode", "fiber"}}}};
  EXPECT_EQ(nimbus::engine::plan_triggers(config, {}, {}).error().message,
            "function.yaml: spec.triggers.a.attributes.workerMode: expected process or thread, got 'fiber'");
}

class FileTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nimbus-file-trigger-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    loop_ = std::move(*loop);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::unique_ptr<Trigger> make(const Json& attributes, std::istream* in = nullptr) {
    TriggerEnvironment env;
    env.standard_input = in;
    auto t = builtin().make({"events", "file", 1, attributes}, env);
    EXPECT_TRUE(t) << t.error().message;
    return t ? std::move(*t) : nullptr;
  }
  fs::path dir_;
  std::unique_ptr<EventLoop> loop_;
};

TEST_F(FileTriggerTest, HandsOverEveryEventInOrderAndReportsTheUnreadableOnes) {
  write("a.json", R"({"path": "/a"})");
  write("b.ndjson", "{\"path\": \"/b1\"}\n{\"path\": 5}\n{\"path\": \"/b2\"}\n");
  std::istringstream in("{\"path\": \"/stdin\"}\n");
  auto t =
      make(Json{{"paths", {dir_.string(), "-"}}, {"eventTrigger", {{"kind", "http"}, {"name", "web"}}}}, &in);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->open(*loop_));
  Echo echo;
  t->start(echo);
  EXPECT_FALSE(t->exhausted());
  t->after_poll();  // an answer at once: it takes them all now
  EXPECT_TRUE(t->exhausted());
  EXPECT_TRUE(t->idle());
  const std::string a = (dir_ / "a.json").string();
  const std::string b = (dir_ / "b.ndjson").string();
  EXPECT_EQ(echo.seen, (std::vector<std::string>{a + " http/web /a", b + ":1 http/web /b1",
                                                 b + ":3 http/web /b2", "-:1 http/web /stdin"}));
  EXPECT_EQ(echo.rejected,
            (std::vector<std::string>{b + ":2 | " + b + ":2: field 'path': expected a string, got number"}));
}

TEST_F(FileTriggerTest, OneEventAtATimeWhenAnswersComeLater) {
  write("e.ndjson", "{\"path\": \"/1\"}\n{\"path\": \"/2\"}\n");
  auto t = make(Json{{"paths", {(dir_ / "e.ndjson").string()}}});
  ASSERT_TRUE(t->open(*loop_));
  Echo echo;
  echo.hold = true;
  t->start(echo);
  t->after_poll();
  EXPECT_EQ(echo.seen.size(), 1U);  // the next waits for this one's answer
  EXPECT_FALSE(t->idle());
  t->after_poll();
  EXPECT_EQ(echo.seen.size(), 1U);
  echo.held.front()(Response::text("ok"));
  t->after_poll();
  EXPECT_EQ(echo.seen.size(), 2U);
  echo.held.back()(Response::text("ok"));
  t->after_poll();
  EXPECT_TRUE(t->exhausted() && t->idle());
  EXPECT_EQ(t->stats().events(200), 2U);  // each answer counted
}

TEST_F(FileTriggerTest, MissingPathsAndBadAttributesAreErrors) {
  auto t = make(Json{{"paths", {(dir_ / "nope.json").string()}}});
  auto opened = t->open(*loop_);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message, (dir_ / "nope.json").string() + ": no such event file or directory");
  auto bad = builtin().make({"events", "file", 1, Json{{"paths", Json::array()}}}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "spec.triggers.events.attributes.paths: expected a list of event files, directories or - "
            "(standard input)");
  auto number = builtin().make({"events", "file", 1, Json{{"paths", 7}}}, {});
  ASSERT_FALSE(number);
  EXPECT_EQ(number.error().message,
            "spec.triggers.events.attributes.paths: expected a list of strings, got number");
}

// A blocking loopback client of the test's own.
class Client {
 public:
  explicit Client(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API takes a sockaddr*
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() { close(fd_); }
  [[nodiscard]] bool connected() const { return connected_; }
  void send_all(const std::string& bytes) const {
    (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // What has arrived so far (waits for the first bytes).
  std::string receive() const {
    std::string out(65536, '\0');
    const ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(HttpTriggerTest, AnswersRequestsInOrderThroughASubmitterThatIsNoWorkerPool) {
  auto made = EventLoop::create();
  ASSERT_TRUE(made);
  EventLoop& loop = **made;
  TriggerEnvironment env;
  env.host = "127.0.0.1";
  auto t = builtin().make({"web", "http", 1, Json{{"port", 0}}}, env);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_TRUE((*t)->open(loop));
  const int port = (*t)->describe()["port"].get<int>();
  ASSERT_GT(port, 0);
  Echo echo;
  echo.hold = true;
  (*t)->start(echo);
  Client client(port);
  ASSERT_TRUE(client.connected());
  client.send_all(
      "GET /first HTTP/1.1\r\nHost: x\r\n\r\nPOST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  for (int i = 0; i < 50 && echo.held.size() < 2; ++i) {
    loop.wait(10);
    (*t)->after_poll();
  }
  ASSERT_EQ(echo.held.size(), 2U);
  EXPECT_EQ(echo.seen, (std::vector<std::string>{" http/web /first", " http/web /second"}));
  echo.held[1](Response::text("two"));  // the second answer first: they still go out in request order
  (*t)->after_poll();
  echo.held[0](Response::text("one"));
  (*t)->after_poll();
  std::string reply;
  for (int i = 0; i < 50 && reply.find("two") == std::string::npos; ++i) reply += client.receive();
  ASSERT_NE(reply.find("one"), std::string::npos) << reply;
  EXPECT_LT(reply.find("one"), reply.find("two")) << reply;
  EXPECT_EQ((*t)->stats().events(200), 2U);
  (*t)->drain();  // an idle keep-alive connection closes at once
  EXPECT_TRUE((*t)->idle());
  EXPECT_EQ(client.receive(), "");  // the client sees it closed
  Client late(port);
  EXPECT_FALSE(late.connected());  // and new connections are refused
}

}  // namespace
