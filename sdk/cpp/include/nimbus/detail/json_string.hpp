#pragma once
/// @file
/// JSON string literals written straight into text, for the encoders of
/// binding calls, tapes and logs (no JSON values on those paths). Private to
/// Nimbus: function authors use `nimbus::Json`.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nimbus::detail {

/// Appends `s` as a JSON string literal, quotes included: `"`, `\\` and
/// control characters escaped as nlohmann/json escapes them; bytes that are
/// not well-formed UTF-8 become U+FFFD (one for each maximal subpart, as
/// nlohmann/json writes them), so the output is always valid JSON.
/// For the text of binding calls and tapes, written without JSON values.
void append_json_string(std::string& out, std::string_view s);

/// How many leading bytes of `s` a JSON string holds as they are (printable
/// ASCII other than `"` and `\\`); `s.size()` when nothing needs escaping.
/// Inline: encoders call it for every string, most of them a few bytes long.
inline std::size_t json_plain_prefix(std::string_view s) noexcept {
  static_assert(std::endian::native == std::endian::little, "the first special byte is the lowest");
  // Eight bytes at a time (the last few padded with spaces): the high bit of
  // each byte that is a control character, '"', '\\' or past ASCII (the bit
  // tricks of "Bit Twiddling Hacks"; a borrow can only mark bytes above a
  // true hit, so the lowest mark is exact).
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  auto special = [](std::uint64_t w) {
    const std::uint64_t quote = w ^ (kOnes * '"');
    const std::uint64_t backslash = w ^ (kOnes * '\\');
    return (w | ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) &
           kHigh;
  };
  // The lowest marked byte of `w`, whose bytes stand for s[at[0]], s[at[1]], ...
  auto first = [](std::uint64_t marks) { return static_cast<std::size_t>(std::countr_zero(marks)) / 8; };
  auto load = [](const char* p, std::size_t size) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, size);  // a fixed size: one load, no call
    return w;
  };
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      if (const std::uint64_t m = special(load(p + i, 8)); m != 0) return i + first(m);
    }
    // The last bytes in one load that overlaps plain ones.
    if (i < n) {
      if (const std::uint64_t m = special(load(p + n - 8, 8)); m != 0) return n - 8 + first(m);
    }
    return n;
  }
  if (n >= 4) {  // s[0..3] and s[n-4..n-1] side by side
    const std::uint64_t w = (load(p, 4) & 0xFFFFFFFFULL) | (load(p + n - 4, 4) << 32U);
    if (const std::uint64_t m = special(w); m != 0) {
      const std::size_t k = first(m);
      return k < 4 ? k : n - 8 + k;
    }
    return n;
  }
  if (n > 0) {  // s[0], s[n/2], s[n-1], then spaces
    const std::uint64_t w = (kOnes * ' ' & ~0xFFFFFFULL) | static_cast<unsigned char>(p[0]) |
                            (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8U) |
                            (std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16U);
    if (const std::uint64_t m = special(w); m != 0) {
      const std::size_t k = first(m);
      return k == 0 ? 0 : k == 1 ? n / 2 : n - 1;
    }
  }
  return n;
}

/// A binding call's arguments as a JSON object's compact text, written
/// member by member without a JSON value: `{"key":"ada","ttl_ms":500}`.
class JsonObjectText {
 public:
  JsonObjectText& add(std::string_view name, std::string_view value) {
    member(name);
    append_json_string(text_, value);
    return *this;
  }
  JsonObjectText& add(std::string_view name, std::int64_t value) {
    member(name);
    text_ += std::to_string(value);
    return *this;
  }
  /// A string, or null when there is none.
  JsonObjectText& add(std::string_view name, std::optional<std::string_view> value) {
    if (value) return add(name, *value);
    member(name);
    text_ += "null";
    return *this;
  }
  /// Name/value pairs, as an array of two-string arrays: `[["a","1"],["b","2"]]`.
  template <class Pairs>
  JsonObjectText& add_pairs(std::string_view name, const Pairs& pairs) {
    member(name);
    text_ += '[';
    bool first = true;
    for (const auto& [k, v] : pairs) {
      text_ += first ? "[" : ",[";
      first = false;
      append_json_string(text_, k);
      text_ += ',';
      append_json_string(text_, v);
      text_ += ']';
    }
    text_ += ']';
    return *this;
  }
  /// Strings, as an array: `["a","b"]`.
  JsonObjectText& add_strings(std::string_view name, const std::vector<std::string>& values) {
    member(name);
    text_ += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) text_ += ',';
      append_json_string(text_, values[i]);
    }
    text_ += ']';
    return *this;
  }
  /// The object's text (valid while this lives).
  [[nodiscard]] std::string_view text() {
    if (!closed_) {
      if (text_.empty()) text_ += '{';
      text_ += '}';
      closed_ = true;
    }
    return text_;
  }

 private:
  void member(std::string_view name) {
    text_ += text_.empty() ? '{' : ',';
    append_json_string(text_, name);
    text_ += ':';
  }
  std::string text_;
  bool closed_ = false;
};

}  // namespace nimbus::detail
