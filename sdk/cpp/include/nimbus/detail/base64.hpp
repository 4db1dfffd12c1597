#pragma once
/// @file
/// The one base64 codec (`nimbus::format::base64_encode` forwards here). Private to Nimbus.

#include <optional>
#include <string>
#include <string_view>

namespace nimbus::detail {

/// Standard base64 with padding.
[[nodiscard]] std::string base64_encode(std::string_view in);
/// Decodes standard or URL-safe base64, padded or not, ignoring white space;
/// nothing when `in` holds anything else.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view in);

}  // namespace nimbus::detail
