#include "nimbus/format/text.hpp"

#include <cstdint>

#include "nimbus/detail/ascii.hpp"
#include "nimbus/detail/base64.hpp"
#include "nimbus/detail/utf8.hpp"

namespace nimbus::format {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool printable_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
      ++i;
      continue;
    }
    const nimbus::detail::Utf8Sequence seq = nimbus::detail::utf8_sequence(s, i);
    if (!seq.valid) return false;
    i += seq.length;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept { return nimbus::detail::iequals(a, b); }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string base64_encode(std::string_view in) { return nimbus::detail::base64_encode(in); }

std::optional<std::string> base64_decode(std::string_view in) { return nimbus::detail::base64_decode(in); }

namespace {

std::string decode_escapes(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string url_decode(std::string_view s) { return decode_escapes(s, true); }
std::string percent_decode(std::string_view s) { return decode_escapes(s, false); }

}  // namespace nimbus::format
