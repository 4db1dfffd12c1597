// Noise rules: any text read as a replay.yaml, and the rules it gives applied
// to two records that differ. Property: an error or rules, never a throw.
#include <cstdint>

#include "fuzz.hpp"
#include "nimbus/replay/replayer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = nimbus::fuzz::text(data, size);
  auto rules = nimbus::replay::NoiseRules::parse(input, "fuzz/replay.yaml");
  if (!rules) return 0;
  nimbus::format::TapeRecord a;
  a.response = {{"status", 200}, {"headers", {{"X-Id", "1"}}}, {"body", R"({"id":1,"n":[1,2]})"}};
  a.logs = {{{"level", "info"}, {"message", "took 3 ms"}, {"fields", {{"ms", 3}}}}};
  a.calls = {{{"binding", "kv"}, {"operation", "get"}, {"arguments", {{"key", "a"}}}, {"result", nullptr}}};
  nimbus::format::TapeRecord b = a;
  b.response["headers"]["X-Id"] = "2";
  b.response["body"] = R"({"id":2,"n":[1,3]})";
  b.logs[0]["fields"]["ms"] = 4;
  (void)nimbus::replay::compare_records(a, b, 1, *rules);
  return 0;
}
