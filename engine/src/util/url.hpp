#pragma once
// URL helpers shared by the event-file reader and the HTTP trigger.

#include <string>
#include <string_view>

namespace nimbus::engine::detail {

/// Decodes `%XX` escapes and `+` (a space) of a query component; a malformed
/// escape is kept as it is.
std::string url_decode(std::string_view s);

/// Calls `f(key, value)` with the decoded pairs of `query` (the part after
/// '?'), in order; `a&b=` gives ("a", "") and ("b", "").
template <class F>
void for_each_query_pair(std::string_view query, F&& f) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      f(url_decode(part.substr(0, eq)),
        eq == std::string_view::npos ? std::string() : url_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace nimbus::engine::detail
