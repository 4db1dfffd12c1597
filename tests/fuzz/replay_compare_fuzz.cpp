// Replay's comparison: a recorded line and what "happened now" (a record's
// parts as a worker would send them), both from the input, compared the way a
// replay compares them, with and without noise rules; and the unified diff of
// two texts. Property: a result, never a throw or a crash; equal parts pass.
#include <cstdint>

#include "fuzz.hpp"
#include "nimbus/format/record.hpp"
#include "nimbus/replay/replayer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = nimbus::fuzz::text(data, size);
  // The input: a tape line, then after a newline the four parts of "now", separated by 0x1f.
  const auto newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  std::string_view rest = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  std::array<std::string_view, 4> parts{};
  for (auto& part : parts) {
    const auto cut = rest.find('\x1f');
    part = rest.substr(0, cut);
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  }
  nimbus::format::RecordText now;
  now.assign({parts[0], parts[1], parts[2], parts[3]});
  auto recorded = nimbus::format::read_record_line(std::string(line), 2, "fuzz.tape:2");
  if (recorded) {
    nimbus::replay::NoiseRules noise;
    noise.paths = {"/response/body/id", "/logs/*/fields"};
    noise.masks = {"[0-9]+"};
    auto plain = nimbus::replay::compare_line(*recorded, now, 1.0, "e", {});
    (void)nimbus::replay::compare_line(*recorded, now, 1.0, "e", noise);
    // The same record compared with itself passes, whatever it holds.
    nimbus::format::RecordText same;
    same.assign({recorded->part(recorded->event), "", "", recorded->part(recorded->response)});
    if (recorded->calls.size == 0 && recorded->logs.size == 0) {
      auto self = nimbus::replay::compare_line(*recorded, same, 1.0, "e", {});
      nimbus::fuzz::check(self.outcome == nimbus::replay::Outcome::kPassed, "a record differs from itself",
                          line);
    }
    (void)plain;
  }
  (void)nimbus::replay::unified_diff(std::string(parts[0]), std::string(parts[1]), "a", "b");
  return 0;
}
