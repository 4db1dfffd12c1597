#pragma once
/// @file
/// The JSON value type used across the SDK.
///
/// Nimbus uses nlohmann/json as its JSON value: it is header-only, ships in
/// Debian, and lets a handler write `Response::json({{"hello", name}})`.
/// This header is the one place the SDK's public surface names it.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nimbus {

/// A JSON value (object, array, string, number, boolean or null). Objects keep
/// their keys in insertion order, as Python dicts and JavaScript objects do.
using Json = nlohmann::ordered_json;

/// Appends `s` as a JSON string literal, quotes included: `"`, `\\` and
/// control characters escaped as nlohmann/json escapes them; bytes that are
/// not well-formed UTF-8 become U+FFFD, so the output is always valid JSON.
/// For the text of binding calls and tapes, written without JSON values.
void append_json_string(std::string& out, std::string_view s);

/// How many leading bytes of `s` a JSON string holds as they are (printable
/// ASCII other than `"` and `\\`); `s.size()` when nothing needs escaping.
std::size_t json_plain_prefix(std::string_view s) noexcept;

}  // namespace nimbus
