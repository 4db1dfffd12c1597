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

/// JSON string literals (nimbus/json.hpp: the SDK writes binding calls' text with them too).
using nimbus::append_json_string;
using nimbus::json_plain_prefix;

/// Appends `value` as compact JSON text, as `value.dump()` writes it but
/// without its per-call set-up (it runs for every recorded binding call).
/// Strings go through `append_json_string`; numbers in their shortest exact form.
void append_json(std::string& out, const Json& value);

/// Standard base64 with padding.
std::string base64_encode(std::string_view in);

}  // namespace nimbus::engine
