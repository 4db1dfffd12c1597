#pragma once
// Ids for the events a trigger makes itself (an HTTP request, a cron tick):
// a random prefix per trigger and a counter, so ids are unique across runs and
// cheap to make (no allocation past the string the caller keeps).

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <random>
#include <string>

namespace nimbus::engine {

class EventIds {
 public:
  EventIds() {
    std::random_device random;
    prefix_ = fmt::format("{:08x}{:08x}-", random(), random());
  }
  /// The next id: "<16 hex digits>-<counter in hex>".
  [[nodiscard]] std::string next() {
    std::string id;
    next_into(id);
    return id;
  }
  /// The same, into `id` (its storage reused: no allocation once it is large enough).
  void next_into(std::string& id) {
    std::array<char, 16> counter{};
    auto end = std::to_chars(counter.data(), counter.data() + counter.size(), ++count_, 16).ptr;
    id.assign(prefix_).append(counter.data(), end);
  }

 private:
  std::string prefix_;
  std::uint64_t count_ = 0;
};

}  // namespace nimbus::engine
