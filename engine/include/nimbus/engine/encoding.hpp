#pragma once
/// @file
/// Text helpers for the edges where bytes meet JSON (reports, tapes).

#include <string>
#include <string_view>

#include "nimbus/json.hpp"

namespace nimbus::engine {

/// True when `s` is well-formed UTF-8 without control bytes other than tab,
/// CR and LF: safe to show and to store as a JSON string.
bool printable_utf8(std::string_view s);

/// ASCII case-insensitive equality (header names, rule names).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Appends `s` as a JSON string literal, quotes included: `"`, `\\` and
/// control characters escaped as nlohmann/json escapes them; bytes that are
/// not well-formed UTF-8 become U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

/// How many leading bytes of `s` a JSON string holds as they are (printable
/// ASCII other than `"` and `\\`); `s.size()` when nothing needs escaping.
std::size_t json_plain_prefix(std::string_view s) noexcept;

/// Appends `value` as compact JSON text, as `value.dump()` writes it but
/// without its per-call set-up (it runs for every recorded binding call).
/// Strings go through `append_json_string`; numbers in their shortest exact form.
void append_json(std::string& out, const Json& value);

/// Standard base64 with padding.
std::string base64_encode(std::string_view in);

}  // namespace nimbus::engine
