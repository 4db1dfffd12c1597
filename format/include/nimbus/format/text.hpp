#pragma once
/// @file
/// Bytes at the edges where they meet text: printable UTF-8, base64, URL
/// query components, ASCII case, lists for messages.

#include <optional>
#include <string>
#include <string_view>

namespace nimbus::format {

/// True when `s` is well-formed UTF-8 (the SDK's one check,
/// `nimbus::detail::utf8_sequence`) without control bytes other than tab, CR
/// and LF: text to show and to store as a JSON string; else a body is base64.
[[nodiscard]] bool printable_utf8(std::string_view s) noexcept;

/// ASCII case-insensitive equality (header names, rule names).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// `s` without leading and trailing spaces and tabs.
[[nodiscard]] std::string_view trim(std::string_view s) noexcept;

/// Standard base64 with padding.
[[nodiscard]] std::string base64_encode(std::string_view in);
/// Decodes standard or URL-safe base64, padded or not, ignoring white space;
/// nothing when `in` holds anything else.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view in);

/// Decodes `%XX` escapes and `+` (a space) of a query component; a malformed
/// escape is kept as it is.
[[nodiscard]] std::string url_decode(std::string_view s);
/// Decodes `%XX` escapes only (`+` stays): CloudEvents' `ce-*` header values.
[[nodiscard]] std::string percent_decode(std::string_view s);

/// Calls `f(key, value)` with the decoded pairs of `query` (the part after
/// '?'), in order; `a&b=` gives ("a", "") and ("b", "").
template <class F>
void for_each_query_pair(std::string_view query, F&& f) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    if (!part.empty()) {
      const auto eq = part.find('=');
      f(url_decode(part.substr(0, eq)),
        eq == std::string_view::npos ? std::string() : url_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

/// The items of `range`, separated by `separator`: join({"a", "b"}) == "a, b".
template <class Range>
[[nodiscard]] std::string join(const Range& range, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : range) {
    if (!out.empty()) out += separator;
    out += std::string_view(item);
  }
  return out;
}

}  // namespace nimbus::format
