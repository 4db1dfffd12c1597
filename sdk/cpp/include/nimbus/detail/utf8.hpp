#pragma once
/// @file
/// The one UTF-8 check, used by the SDK's JSON strings and by the host's
/// encoders (text or base64 bodies). Private to Nimbus.

#include <cstddef>
#include <string_view>

namespace nimbus::detail {

/// What starts at a byte of 0x80 or more: a well-formed UTF-8 sequence
/// (`valid`, `length` 2 to 4 bytes), or not (`length` is then its maximal
/// subpart, 1 to 3 bytes: what one U+FFFD stands for, as Unicode recommends
/// and as nlohmann/json writes it).
struct Utf8Sequence {
  std::size_t length = 1;
  bool valid = false;
};

/// The sequence at `s[at]`, where `s[at]` is 0x80 or more (Unicode's table
/// 3-7: no overlong forms, no surrogates, nothing past U+10FFFF).
[[nodiscard]] Utf8Sequence utf8_sequence(std::string_view s, std::size_t at) noexcept;

/// True when all of `s` is well-formed UTF-8.
[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;

}  // namespace nimbus::detail
