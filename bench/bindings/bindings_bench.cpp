// bench/bindings: key-value gets and puts per second through the `redis` binding (the
// KeyValueStore a function gets from ctx.kv), beside a plain hiredis loop sending the same
// commands to the same server, in the same run, alternating round by round. Both keep one
// command in flight: this is the cost the binding adds to each call. Then a function that
// needs ten keys at once: get_many and put_many (one MGET, ten pipelined SETs) beside plain
// hiredis pipelining ten GETs or SETs per round trip, and beside ten single calls.
//
//   build/bench/bindings/bindings_bench <redis port> [calls-per-round] [rounds]
//
// bench/bindings/run.py starts a redis-server on a free port and runs it.
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "../rounds.hpp"
#include "nimbus/engine/binding_registry.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nimbus::bench::median;

double per_second(std::uint64_t count, Clock::time_point start) {
  const std::chrono::duration<double> took = Clock::now() - start;
  return static_cast<double>(count) / took.count();
}

std::string key_of(std::uint64_t i) { return "bench:" + std::to_string(i % 1000); }

// The plain client: SET and GET with hiredis, one command in flight. -1 on failure.
double plain_round(redisContext* c, std::uint64_t count, bool put, const std::string& value) {
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string key = key_of(i);
    auto* reply = static_cast<redisReply*>(
        put ? redisCommand(c, "SET %b %b", key.data(), key.size(), value.data(), value.size())
            : redisCommand(c, "GET %b", key.data(), key.size()));
    if (reply == nullptr) return -1;
    freeReplyObject(reply);
  }
  return per_second(count, start);
}

double binding_round(nimbus::KeyValueStore& kv, std::uint64_t count, bool put, const std::string& value) {
  const auto start = Clock::now();
  std::size_t seen = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string key = key_of(i);
    if (put) {
      kv.put(key, value);
    } else {
      seen += kv.get(key).has_value() ? 1 : 0;
    }
  }
  if (!put && seen != count) return -1;
  return per_second(count, start);
}

constexpr std::uint64_t kBatch = 10;

// The plain client, pipelined: kBatch GETs or SETs appended, then their replies read. Keys/s.
double plain_pipelined_round(redisContext* c, std::uint64_t count, bool put, const std::string& value) {
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; i += kBatch) {
    for (std::uint64_t k = i; k < i + kBatch; ++k) {
      const std::string key = key_of(k);
      if (put) {
        redisAppendCommand(c, "SET %b %b", key.data(), key.size(), value.data(), value.size());
      } else {
        redisAppendCommand(c, "GET %b", key.data(), key.size());
      }
    }
    for (std::uint64_t k = 0; k < kBatch; ++k) {
      void* reply = nullptr;
      if (redisGetReply(c, &reply) != REDIS_OK) return -1;
      freeReplyObject(reply);
    }
  }
  return per_second(count, start);
}

// The binding's batch calls, kBatch keys each. Keys/s.
double batch_round(nimbus::KeyValueStore& kv, std::uint64_t count, bool put, const std::string& value) {
  const auto start = Clock::now();
  std::vector<std::string> keys(kBatch);
  std::vector<std::pair<std::string, std::string>> entries(kBatch);
  std::size_t seen = 0;
  for (std::uint64_t i = 0; i < count; i += kBatch) {
    for (std::uint64_t k = 0; k < kBatch; ++k) {
      if (put) {
        entries[k] = {key_of(i + k), value};
      } else {
        keys[k] = key_of(i + k);
      }
    }
    if (put) {
      kv.put_many(entries);
    } else {
      for (const auto& v : kv.get_many(keys)) seen += v.has_value() ? 1 : 0;
    }
  }
  if (!put && seen != count) return -1;
  return per_second(count, start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bindings_bench <redis port> [calls-per-round] [rounds]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::uint64_t count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::string value(100, 'v');

  nimbus::engine::BindingRegistry registry;
  nimbus::engine::register_builtin_bindings(registry);
  nimbus::engine::BindingSpec spec;
  spec.name = "bench";
  spec.kind = "redis";
  spec.url = "redis://127.0.0.1:" + std::to_string(port);
  spec.origin = "bench";
  auto made = registry.make(spec);
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message.c_str());
    return 1;
  }
  auto& kv = dynamic_cast<nimbus::KeyValueStore&>(**made);
  redisContext* plain = redisConnect("127.0.0.1", port);
  if (plain == nullptr || plain->err != 0) {
    std::fprintf(stderr, "cannot connect to 127.0.0.1:%d\n", port);
    return 1;
  }

  std::printf("bench/bindings: %llu calls per round, %d rounds, 100-byte values, one call in flight\n",
              static_cast<unsigned long long>(count), rounds);
  for (const bool put : {true, false}) {
    std::vector<double> plain_rates;
    std::vector<double> binding_rates;
    for (int r = 0; r < rounds; ++r) {
      plain_rates.push_back(plain_round(plain, count, put, value));
      binding_rates.push_back(binding_round(kv, count, put, value));
    }
    const double p = median(plain_rates);
    const double b = median(binding_rates);
    std::printf("  %-4s plain hiredis %9.0f/s   redis binding %9.0f/s   binding/plain %.2f\n",
                put ? "put" : "get", p, b, b / p);
  }
  std::printf("ten keys at a time (keys/s):\n");
  for (const bool put : {true, false}) {
    std::vector<double> plain_rates;
    std::vector<double> batch_rates;
    std::vector<double> single_rates;
    for (int r = 0; r < rounds; ++r) {
      plain_rates.push_back(plain_pipelined_round(plain, count, put, value));
      batch_rates.push_back(batch_round(kv, count, put, value));
      single_rates.push_back(binding_round(kv, count, put, value));
    }
    const double p = median(plain_rates);
    const double b = median(batch_rates);
    const double one = median(single_rates);
    std::printf(
        "  %-4s plain hiredis pipelined %9.0f/s   binding %s %9.0f/s   binding/plain %.2f   "
        "(ten single %ss %9.0f/s)\n",
        put ? "put" : "get", p, put ? "put_many" : "get_many", b, b / p, put ? "put" : "get", one);
  }
  redisFree(plain);
  return 0;
}
