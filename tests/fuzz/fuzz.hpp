#pragma once
// What the fuzz targets share: a check that fails loudly (a failed property is
// a crash libFuzzer keeps, like any other), and the input as text.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace nimbus::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data),
          size};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes as chars
}

// A property of the code under test that must hold for every input.
inline void check(bool holds, const char* what, std::string_view detail = {}) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: property failed: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace nimbus::fuzz
