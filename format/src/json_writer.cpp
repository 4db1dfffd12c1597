#include "nimbus/format/json_writer.hpp"

#include <array>
#include <cmath>
#include <cstdint>

#include "nimbus/format/time_text.hpp"

namespace nimbus::format {

void JsonWriter::grow(std::size_t n) { out_.resize(at_ + n); }

void JsonWriter::string(std::string_view s) {
  if (detail::json_plain_prefix(s) != s.size()) {
    out_.resize(at_);
    detail::append_json_string(out_, s);
    at_ = out_.size();
    return;
  }
  room(s.size() + 2);
  char* p = out_.data() + at_;
  p[0] = '"';
  if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
  p[s.size() + 1] = '"';
  at_ += s.size() + 2;
}

void JsonWriter::value(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object: {
      ch('{');
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        if (!first) ch(',');
        first = false;
        string(k);
        ch(':');
        value(item);
      }
      ch('}');
      return;
    }
    case Json::value_t::array: {
      ch('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) ch(',');
        first = false;
        value(item);
      }
      ch(']');
      return;
    }
    case Json::value_t::string:
      string(v.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      if (v.get<bool>()) {
        lit("true");
      } else {
        lit("false");
      }
      return;
    case Json::value_t::number_integer:
      number(v.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      number(v.get<std::uint64_t>());
      return;
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) {
        lit("null");  // as nlohmann writes them
        return;
      }
      // nlohmann's own shortest form (`dump` calls the same routine): 100000.0, 1e+16, -0.0, 1.5e-07.
      // std::to_chars would write 1e+05, and a ".0" after it once made invalid JSON.
      room(64);
      char* p = out_.data() + at_;
      at_ += static_cast<std::size_t>(nlohmann::detail::to_chars(p, p + 64, d) - p);
      return;
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
    case Json::value_t::null:
      lit("null");
      return;
  }
}

void JsonWriter::millionths(std::uint64_t n) {
  number(n / 1'000'000);
  std::uint64_t fraction = n % 1'000'000;
  if (fraction == 0) return;
  std::array<char, 7> digits{'.', '0', '0', '0', '0', '0', '0'};
  std::size_t end = 7;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --end;
  }
  for (std::size_t at = end - 1; fraction > 0; --at, fraction /= 10) {
    digits[at] = static_cast<char>('0' + fraction % 10);
  }
  raw(std::string_view(digits.data(), end));
}

void JsonWriter::millis(double ms) {
  const double ns = ms * 1e6;
  if (!(ns >= 0 && ns < 9e15)) {  // not a duration (NaN, negative, centuries): as a double
    value(Json(ms));
    return;
  }
  millionths(static_cast<std::uint64_t>(std::llround(ns)));
}

void JsonWriter::time(std::chrono::system_clock::time_point t, int digits) {
  ch('"');
  out_.resize(at_);
  append_rfc3339(out_, t, digits);
  at_ = out_.size();
  ch('"');
}

void append_json(std::string& out, const Json& value) {
  JsonWriter w(out, 64);
  w.value(value);
}

}  // namespace nimbus::format
