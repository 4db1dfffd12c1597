// The dispatcher's table of events in flight: ordered by request id, found from the front,
// erased anywhere, growing past its first capacity and wrapping around its storage.
#include "../../engine/src/workers/in_flight.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using Table = nimbus::engine::workers::InFlight<std::string>;

std::vector<std::uint64_t> ids(Table& t) {
  std::vector<std::uint64_t> out;
  for (auto& e : t) out.push_back(e.first);
  return out;
}

TEST(InFlightTest, KeepsIdOrderWhateverTheOrderOfEmplacing) {
  Table t;
  EXPECT_TRUE(t.empty());
  for (std::uint64_t id : {3, 5, 4, 1, 7, 6, 2}) t.emplace(id, "e" + std::to_string(id));
  EXPECT_EQ(ids(t), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  for (std::uint64_t id = 1; id <= 7; ++id) {
    auto it = t.find(id);
    ASSERT_NE(it, t.end()) << id;
    EXPECT_EQ(it->second, "e" + std::to_string(id));
  }
  EXPECT_EQ(t.find(8), t.end());
  EXPECT_FALSE(t.contains(0));
}

TEST(InFlightTest, ErasingReturnsTheNextAndWorksAtEitherEndAndInTheMiddle) {
  Table t;
  for (std::uint64_t id = 1; id <= 5; ++id) t.emplace(id, std::to_string(id));
  auto next = t.erase(t.find(3));
  ASSERT_NE(next, t.end());
  EXPECT_EQ(next->first, 4U);
  next = t.erase(t.begin());
  EXPECT_EQ(next->first, 2U);
  next = t.erase(t.find(5));  // the last: the end (read after the erase)
  EXPECT_EQ(next, t.end());
  EXPECT_EQ(ids(t), (std::vector<std::uint64_t>{2, 4}));
  for (auto it = t.begin(); it != t.end();) it = t.erase(it);
  EXPECT_TRUE(t.empty());
}

TEST(InFlightTest, GrowsAndWrapsAroundWithoutLosingOrder) {
  Table t;
  std::uint64_t next_id = 1;
  std::uint64_t oldest = 1;
  // A window of events in flight sliding over thousands of ids, wider than the first capacity.
  for (int round = 0; round < 5000; ++round) {
    t.emplace(next_id, std::to_string(next_id));
    ++next_id;
    if (round % 3 != 0 || next_id - oldest > 200) {
      auto it = t.begin();
      ASSERT_EQ(it->first, oldest);
      t.erase(it);
      ++oldest;
    }
  }
  std::vector<std::uint64_t> want;
  for (std::uint64_t id = oldest; id < next_id; ++id) want.push_back(id);
  EXPECT_EQ(ids(t), want);
  EXPECT_EQ(t.find(oldest + 10)->second, std::to_string(oldest + 10));
}

TEST(InFlightTest, AnErasedEntryLetsGoOfWhatItHeld) {
  nimbus::engine::workers::InFlight<std::shared_ptr<int>> t;
  auto held = std::make_shared<int>(1);
  t.emplace(1, held);
  t.emplace(2, held);
  EXPECT_EQ(held.use_count(), 3);
  t.erase(t.find(2));
  t.erase(t.begin());
  EXPECT_EQ(held.use_count(), 1);
}

}  // namespace
