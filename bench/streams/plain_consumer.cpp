// bench/streams' baseline: a plain client of the same library the trigger
// uses, consuming the same broker as fast as it can, doing per message what
// the trigger does besides making and running the event: read what a message
// carries (Kafka: payload, key, timestamp, headers; NATS: payload, headers;
// Redis: the entry's fields, parsed by hiredis anyway) and acknowledge it
// (Kafka: store the offset for the auto commit; Redis: XACK; NATS: nothing).
// `--bare` skips the reading (Kafka, NATS): the library at its very fastest,
// as a consumer that never looks at a message's headers. Prints one JSON line:
// {"messages": N, "seconds": from the first message to the last}.
//
//   plain_consumer [--bare] kafka BOOTSTRAP TOPIC GROUP N
//   plain_consumer redis HOST PORT STREAM GROUP N
//   plain_consumer [--bare] nats URL SUBJECT N      (prints "subscribed" when it may be published to)
// and the loads: plain_consumer redis-fill HOST PORT STREAM N, nats-publish URL SUBJECT N
// (N messages of 100 bytes, as fast as the library sends them).
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

bool bare = false;  // --bare: the message's contents are not read

// What the trigger reads of a Kafka message besides its payload and key: its timestamp and
// headers (librdkafka parses a message's headers on this first call, even when it has none).
std::size_t read_kafka(const rd_kafka_message_t* m) {
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  std::size_t seen = static_cast<std::size_t>(rd_kafka_message_timestamp(m, &type)) + m->len + m->key_len;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return seen;
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
    seen += size;
  return seen;
}

void report(long long n, Clock::time_point first, Clock::time_point last) {
  std::printf("{\"messages\": %lld, \"seconds\": %.6f}\n", n,
              std::chrono::duration<double>(last - first).count());
}

// Its prefetch is unbounded (10M messages, 256 MB): librdkafka 2.0 with a bounded one stops
// fetching whenever it fills and looks again up to a second later (issue 2879), so the plain
// client would be slowed by what the trigger works around. This is the library at its fastest.
int kafka(const char* bootstrap, const char* topic, const char* group, long long n) {
  char why[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const char* settings[][2] = {{"bootstrap.servers", bootstrap},    {"group.id", group},
                               {"enable.auto.commit", "true"},      {"enable.auto.offset.store", "false"},
                               {"auto.offset.reset", "earliest"},   {"queued.max.messages.kbytes", "262144"},
                               {"queued.min.messages", "10000000"}, {"enable.partition.eof", "false"}};
  for (auto& kv : settings) {
    if (rd_kafka_conf_set(conf, kv[0], kv[1], why, sizeof why) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s\n", why);
      return 2;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
  if (rk == nullptr) {
    std::fprintf(stderr, "%s\n", why);
    return 2;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  long long got = 0;
  Clock::time_point first{};
  Clock::time_point last{};
  while (got < n) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (got++ == 0) first = Clock::now();
      last = Clock::now();
      if (!bare) read_kafka(m);
      rd_kafka_topic_partition_list_t* at = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(at, rd_kafka_topic_name(m->rkt), m->partition)->offset =
          m->offset + 1;
      rd_kafka_offsets_store(rk, at);
      rd_kafka_topic_partition_list_destroy(at);
    }
    rd_kafka_message_destroy(m);
  }
  report(got, first, last);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

int redis(const char* host, int port, const char* stream, const char* group, long long n) {
  redisContext* c = redisConnect(host, port);
  if (c == nullptr || c->err != 0) {
    std::fprintf(stderr, "cannot connect to redis\n");
    return 2;
  }
  freeReplyObject(redisCommand(c, "XGROUP CREATE %s %s 0 MKSTREAM", stream, group));
  long long got = 0;
  Clock::time_point first{};
  Clock::time_point last{};
  while (got < n) {
    auto* r = static_cast<redisReply*>(
        redisCommand(c, "XREADGROUP GROUP %s plain COUNT 64 BLOCK 1000 STREAMS %s >", group, stream));
    if (r == nullptr) return 2;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
      redisReply* entries = r->element[0]->element[1];
      for (std::size_t i = 0; i < entries->elements; ++i) {
        if (got++ == 0) first = Clock::now();
        redisAppendCommand(c, "XACK %s %s %s", stream, group, entries->element[i]->element[0]->str);
      }
      for (std::size_t i = 0; i < entries->elements; ++i) {
        void* ack = nullptr;
        redisGetReply(c, &ack);
        freeReplyObject(ack);
      }
      last = Clock::now();
    }
    freeReplyObject(r);
  }
  report(got, first, last);
  redisFree(c);
  return 0;
}

std::atomic<long long> nats_got{0};
Clock::time_point nats_first{};
Clock::time_point nats_last{};

void on_nats(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg, void* /*closure*/) {
  if (nats_got.fetch_add(1) == 0) nats_first = Clock::now();
  nats_last = Clock::now();
  const char** keys = nullptr;
  int count = 0;
  if (!bare && natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) std::free(static_cast<void*>(keys));
  natsMsg_Destroy(msg);
}

int nats(const char* url, const char* subject, long long n) {
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, url) != NATS_OK) {
    std::fprintf(stderr, "cannot connect to nats\n");
    return 2;
  }
  natsSubscription* sub = nullptr;
  natsConnection_Subscribe(&sub, nc, subject, on_nats, nullptr);
  natsConnection_FlushTimeout(nc, 5000);
  std::printf("subscribed\n");
  std::fflush(stdout);
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (nats_got.load() < n && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  report(nats_got.load(), nats_first, nats_last);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
  return 0;
}

int redis_fill(const char* host, int port, const char* stream, long long n) {
  redisContext* c = redisConnect(host, port);
  if (c == nullptr || c->err != 0) return 2;
  const std::string body(100, 'x');
  for (long long sent = 0; sent < n;) {
    const long long batch = std::min<long long>(1000, n - sent);
    for (long long i = 0; i < batch; ++i) redisAppendCommand(c, "XADD %s * body %s", stream, body.c_str());
    for (long long i = 0; i < batch; ++i) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK) return 2;
      freeReplyObject(r);
    }
    sent += batch;
  }
  redisFree(c);
  return 0;
}

int nats_publish(const char* url, const char* subject, long long n) {
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, url) != NATS_OK) return 2;
  const std::string body(100, 'x');
  for (long long i = 0; i < n; ++i)
    natsConnection_Publish(nc, subject, body.data(), static_cast<int>(body.size()));
  natsConnection_FlushTimeout(nc, 30000);
  natsConnection_Destroy(nc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--bare") {
    bare = true;
    --argc;
    ++argv;
  }
  const std::string kind = argc > 1 ? argv[1] : "";
  if (kind == "kafka" && argc == 6) return kafka(argv[2], argv[3], argv[4], std::atoll(argv[5]));
  if (kind == "redis" && argc == 7)
    return redis(argv[2], std::atoi(argv[3]), argv[4], argv[5], std::atoll(argv[6]));
  if (kind == "nats" && argc == 5) return nats(argv[2], argv[3], std::atoll(argv[4]));
  if (kind == "redis-fill" && argc == 6)
    return redis_fill(argv[2], std::atoi(argv[3]), argv[4], std::atoll(argv[5]));
  if (kind == "nats-publish" && argc == 5) return nats_publish(argv[2], argv[3], std::atoll(argv[4]));
  std::fprintf(
      stderr,
      "usage: plain_consumer [--bare] kafka BOOTSTRAP TOPIC GROUP N | redis HOST PORT STREAM GROUP N | "
      "[--bare] nats URL SUBJECT N\n");
  return 2;
}
