#pragma once
// Private string helpers shared by the engine's sources.

#include <string>
#include <string_view>

namespace nimbus::engine::detail {

/// The items of `range`, separated by `separator`: join({"a", "b"}) == "a, b".
template <class Range>
std::string join(const Range& range, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : range) {
    if (!out.empty()) out += separator;
    out += std::string_view(item);
  }
  return out;
}

}  // namespace nimbus::engine::detail
