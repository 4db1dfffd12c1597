#include "nimbus/engine/encoding.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "nimbus/detail/utf8.hpp"

namespace nimbus::engine {

bool iequals(std::string_view a, std::string_view b) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool printable_utf8(std::string_view s) {
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
      // nlohmann's own shortest form (`dump` calls the same routine): 100000.0, 1e+16, -0.0, 1.5e-07.
      // std::to_chars would write 1e+05, and a ".0" after it made invalid JSON.
      std::array<char, 64> buffer{};
      char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), d);
      out.append(buffer.data(), end);
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
