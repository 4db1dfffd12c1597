// The SDK's JSON string encoder and its one UTF-8 check.
#include <cstdint>
#include <cstring>

#include "nimbus/detail/json_string.hpp"
#include "nimbus/detail/utf8.hpp"

namespace nimbus::detail {

Utf8Sequence utf8_sequence(std::string_view s, std::size_t at) noexcept {
  const auto c = static_cast<unsigned char>(s[at]);
  std::size_t n = 0;
  unsigned char low = 0x80;  // the second byte's range; the later ones are 80..BF
  unsigned char high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) low = 0xA0;   // no overlong forms
    if (c == 0xED) high = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) low = 0x90;   // no overlong forms
    if (c == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return {1, false};  // a continuation byte, C0, C1, F5..FF
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (at + k >= s.size()) return {k, false};
    const auto b = static_cast<unsigned char>(s[at + k]);
    if (b < low || b > high) return {k, false};
    low = 0x80;
    high = 0xBF;
  }
  return {n, true};
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const Utf8Sequence seq = utf8_sequence(s, i);
    if (!seq.valid) return false;
    i += seq.length;
  }
  return true;
}

void append_json_string(std::string& out, std::string_view s) {
  const std::size_t plain = detail::json_plain_prefix(s);
  if (plain == s.size()) {  // the common case: nothing to escape, one copy
    const std::size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* p = out.data() + at;
    *p = '"';
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out += '"';
  std::size_t run = 0;  // start of the bytes that need no escaping
  auto flush = [&](std::size_t i) { out.append(s.data() + run, i - run); };
  for (std::size_t i = plain; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const Utf8Sequence seq = utf8_sequence(s, i);
      if (!seq.valid) {
        flush(i);
        out += "\xEF\xBF\xBD";  // U+FFFD for the sequence's maximal subpart
        run = i + seq.length;
      }
      i += seq.length;
      continue;
    }
    flush(i);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static constexpr std::string_view kHex = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4U];
        out += kHex[c & 0xFU];
      }
    }
    run = ++i;
  }
  flush(s.size());
  out += '"';
}

}  // namespace nimbus::detail
