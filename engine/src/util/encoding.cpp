#include "nimbus/engine/encoding.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace nimbus::engine {

bool iequals(std::string_view a, std::string_view b) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool printable_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
      ++i;
      continue;
    }
    std::size_t n = (c >> 5U) == 0x6 ? 1 : (c >> 4U) == 0xE ? 2 : (c >> 3U) == 0x1E ? 3 : 0;
    if (n == 0 || i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6U) != 0x2) return false;
    }
    i += n + 1;
  }
  return true;
}

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (a lead byte >= 0x80), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1FU;
  } else if ((c >> 4U) == 0xE) {
    n = 3;
    cp = c & 0x0FU;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07U;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b >> 6U) != 0x2) return 0;
    cp = (cp << 6U) | (b & 0x3FU);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not well-formed.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

}  // namespace

std::size_t json_plain_prefix(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
    ++i;
  }
  return i;
}

void append_json_string(std::string& out, std::string_view s) {
  const std::size_t plain = json_plain_prefix(s);
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
      if (std::size_t n = utf8_sequence(s, i); n != 0) {
        i += n;
        continue;
      }
      flush(i);
      out += "\xEF\xBF\xBD";  // U+FFFD
      run = ++i;
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

void append_json(std::string& out, const Json& value) {
  auto number = [&](auto v) {
    std::array<char, 32> buffer{};
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
    out.append(buffer.data(), ec == std::errc() ? end : buffer.data());
  };
  switch (value.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, k);
        out += ':';
        append_json(out, v);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& v : value) {
        if (!first) out += ',';
        first = false;
        append_json(out, v);
      }
      out += ']';
      return;
    }
    case Json::value_t::string:
      append_json_string(out, value.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      number(value.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      number(value.get<std::uint64_t>());
      return;
    case Json::value_t::number_float: {
      const double d = value.get<double>();
      if (!std::isfinite(d)) {
        out += "null";  // as nlohmann writes them
        return;
      }
      number(d);
      if (std::floor(d) == d && std::fabs(d) < 1e15) out += ".0";  // nlohmann keeps a float a float
      return;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
    case Json::value_t::null:
      out += "null";
      return;
  }
}

std::string base64_encode(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16U) |
             (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8U) |
             static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += kAlphabet[(n >> 6U) & 63U];
    out += kAlphabet[n & 63U];
  }
  if (i < in.size()) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16U;
    if (i + 1 < in.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8U;
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

}  // namespace nimbus::engine
