// The hand-written JSON encoders, checked differentially against nlohmann/json
// on generated values: they must write exactly what `dump` writes (with the
// `replace` error handler), and the UTF-8 check must agree with nlohmann's.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nimbus/detail/utf8.hpp"
#include "nimbus/format/json_text.hpp"
#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/text.hpp"
#include "nimbus/format/time_text.hpp"
#include "nimbus/json.hpp"

namespace {

using nimbus::Json;

std::string dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string appended(const Json& j) {
  std::string out;
  nimbus::format::append_json(out, j);
  return out;
}

std::string appended_string(const std::string& s) {
  std::string out;
  nimbus::detail::append_json_string(out, s);
  return out;
}

// nlohmann as the oracle for well-formed UTF-8: its strict serializer throws on anything else.
bool nlohmann_valid_utf8(const std::string& s) {
  try {
    (void)Json(s).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

// Doubles of every magnitude: each binary exponent with several mantissas, subnormals, the
// edges, powers of ten, and the values that once broke the encoder (100000.0 wrote 1e+05.0).
std::vector<double> doubles() {
  std::vector<double> v = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.1,
                           0.5,
                           1.0 / 3.0,
                           2.0 / 3.0,
                           100000.0,
                           -100000.0,
                           123456.0,
                           1e15,
                           1e16,
                           1e17,
                           9007199254740992.0,
                           9007199254740993.0,
                           123456789012345678.0,
                           1e-4,
                           1e-5,
                           1.5e-7,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::epsilon()};
  for (int e = -1074; e <= 1023; ++e) {
    for (double m : {1.0, 1.25, 1.5, 1.75, 1.9999999999999998}) {
      const double d = std::ldexp(m, e);
      if (std::isfinite(d)) {
        v.push_back(d);
        v.push_back(-d);
      }
    }
  }
  for (int e = -323; e <= 308; ++e) v.push_back(std::pow(10.0, e));
  std::mt19937_64 random(20261201);
  for (int i = 0; i < 200'000; ++i) {  // random bit patterns: every exponent, every mantissa
    const double d = std::bit_cast<double>(random());
    if (std::isfinite(d)) v.push_back(d);
  }
  return v;
}

TEST(EncodingDifferentialTest, DoublesOfEveryMagnitudeAsNlohmannWritesThem) {
  for (const double d : doubles()) {
    const Json j = d;
    ASSERT_EQ(appended(j), dumped(j)) << std::hexfloat << d;
    // And it is JSON that reads back as the same double.
    ASSERT_EQ(std::bit_cast<std::uint64_t>(Json::parse(appended(j)).get<double>()),
              std::bit_cast<std::uint64_t>(d))
        << std::hexfloat << d;
  }
}

TEST(EncodingDifferentialTest, NonFiniteDoublesAreNullAsNlohmannWritesThem) {
  for (const double d : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_EQ(appended(Json(d)), "null");
    EXPECT_EQ(appended(Json(d)), dumped(Json(d)));
  }
}

TEST(EncodingDifferentialTest, IntegersAtTheLimits) {
  std::vector<Json> values;
  for (std::int64_t i : {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                         std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}}) {
    values.emplace_back(i);
  }
  values.emplace_back(std::numeric_limits<std::uint64_t>::max());
  for (int b = 0; b < 64; ++b) {
    const std::uint64_t p = std::uint64_t{1} << b;
    values.emplace_back(p);
    values.emplace_back(p - 1);
    values.emplace_back(-static_cast<std::int64_t>(p - 1));
  }
  for (const Json& j : values) EXPECT_EQ(appended(j), dumped(j)) << dumped(j);
}

// Strings: every byte alone and between others, every control character, and UTF-8 of every
// length, valid and not: every 1- and 2-byte string, 3- and 4-byte strings over the bytes
// that matter to UTF-8, and random ones.
std::vector<std::string> strings() {
  std::vector<std::string> v;
  for (int a = 0; a < 256; ++a) {
    v.emplace_back(1, static_cast<char>(a));
    v.push_back("ab" + std::string(1, static_cast<char>(a)) + "cd");
    for (int b = 0; b < 256; ++b) v.push_back({static_cast<char>(a), static_cast<char>(b)});
  }
  const std::vector<unsigned char> edges = {0x00, 0x1f, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                            0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed,
                                            0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
  for (auto a : edges) {
    for (auto b : edges) {
      for (auto c : edges) {
        v.push_back({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        for (auto d : {0x41, 0x80, 0x8f, 0x90, 0xbf, 0xc2}) {
          v.push_back(
              {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)});
        }
      }
    }
  }
  // Well-formed sequences at their edges: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
  for (const char* s :
       {"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
        "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac"}) {
    v.emplace_back(s);
  }
  std::mt19937_64 random(42);
  for (int i = 0; i < 100'000; ++i) {
    std::string s(random() % 24, '\0');
    for (char& c : s) c = static_cast<char>(random() % 4 == 0 ? 0x80 + random() % 0x80 : random() % 0x100);
    v.push_back(std::move(s));
  }
  return v;
}

TEST(EncodingDifferentialTest, StringsOfEveryByteAsNlohmannWritesThem) {
  for (const std::string& s : strings()) {
    ASSERT_EQ(appended_string(s), dumped(Json(s))) << testing::PrintToString(s);
    ASSERT_EQ(appended(Json(s)), dumped(Json(s))) << testing::PrintToString(s);
  }
}

TEST(EncodingDifferentialTest, TheOneUtf8CheckAgreesWithNlohmann) {
  for (const std::string& s : strings()) {
    const bool valid = nlohmann_valid_utf8(s);
    ASSERT_EQ(nimbus::detail::valid_utf8(s), valid) << testing::PrintToString(s);
    bool controls = false;
    for (char c : s)
      controls = controls || (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\r' && c != '\t');
    ASSERT_EQ(nimbus::format::printable_utf8(s), valid && !controls) << testing::PrintToString(s);
  }
}

TEST(EncodingDifferentialTest, TheCasesTheIssueNamedAreNotPrintable) {
  // An overlong '/', a surrogate, a byte past U+10FFFF's lead bytes, a truncated sequence.
  for (const char* s : {"\xc0\xaf", "\xed\xa0\x80", "\xf5\x80\x80\x80", "\xf4\x90\x80\x80", "ok\xe2\x82"}) {
    EXPECT_FALSE(nimbus::format::printable_utf8(s)) << testing::PrintToString(std::string(s));
  }
}

TEST(EncodingDifferentialTest, NestedValuesAsNlohmannWritesThem) {
  std::mt19937_64 random(7);
  const auto leaves = doubles();
  const auto texts = strings();
  auto leaf = [&]() -> Json {
    switch (random() % 6) {
      case 0:
        return leaves[random() % leaves.size()];
      case 1:
        return texts[random() % texts.size()];
      case 2:
        return static_cast<std::int64_t>(random());
      case 3:
        return random() % 2 == 0;
      case 4:
        return nullptr;
      default:
        return random();
    }
  };
  for (int i = 0; i < 20'000; ++i) {
    Json j = Json::object();
    for (int k = 0; k < 4; ++k) {
      Json inner = Json::array({leaf(), leaf(), Json::object({{texts[random() % texts.size()], leaf()}})});
      j[texts[random() % texts.size()]] = random() % 2 == 0 ? inner : leaf();
    }
    ASSERT_EQ(appended(j), dumped(j)) << dumped(j);
  }
}

// Random nested values of every kind, from the generators above.
Json random_value(std::mt19937_64& random, int depth = 0) {
  static const auto leaves = doubles();
  static const auto texts = strings();
  switch (random() % (depth < 3 ? 8 : 6)) {
    case 0:
      return leaves[random() % leaves.size()];
    case 1:
      return texts[random() % texts.size()];
    case 2:
      return static_cast<std::int64_t>(random());
    case 3:
      return random() % 2 == 0;
    case 4:
      return nullptr;
    case 5:
      return random();
    case 6: {
      Json a = Json::array();
      for (std::uint64_t i = random() % 4; i > 0; --i) a.push_back(random_value(random, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (std::uint64_t i = random() % 4; i > 0; --i)
        o[texts[random() % texts.size()]] = random_value(random, depth + 1);
      return o;
    }
  }
}

// What JsonText reads of `text` must be what nlohmann reads of it: the same kinds, members in order, strings
// and integers, the value's whole text.
void expect_same_reading(const nimbus::format::JsonText& t, const nimbus::Json& j, const std::string& text) {
  ASSERT_EQ(std::string(t.type_name()), std::string(j.is_number() ? "number" : j.type_name())) << text;
  if (j.is_object()) {
    ASSERT_EQ(t.items().size(), j.size()) << text;
    std::size_t i = 0;
    for (const auto& [k, v] : j.items()) {
      ASSERT_EQ(t.items()[i].first, k) << text;
      expect_same_reading(t.items()[i].second, v, text);
      ++i;
    }
  } else if (j.is_array()) {
    auto elements = t.elements();
    ASSERT_TRUE(elements) << text;
    ASSERT_EQ(elements->size(), j.size()) << text;
    for (std::size_t i = 0; i < j.size(); ++i) expect_same_reading((*elements)[i], j[i], text);
  } else if (j.is_string()) {
    ASSERT_EQ(t.get<std::string>(), j.get<std::string>()) << text;
  } else if (j.is_number_integer() && !j.is_number_unsigned()) {
    ASSERT_TRUE(t.is_number_integer()) << text;
    ASSERT_EQ(t.get<std::int64_t>(), j.get<std::int64_t>()) << text;
  } else if (j.is_boolean()) {
    ASSERT_EQ(t.get<bool>(), j.get<bool>()) << text;
  } else if (j.is_null()) {
    ASSERT_TRUE(t.is_null()) << text;
  }
}

TEST(EncodingDifferentialTest, TheInPlaceReaderReadsWhatNlohmannReads) {
  std::mt19937_64 random(11);
  for (int i = 0; i < 20'000; ++i) {
    const Json value = random_value(random);
    // Compact text as Nimbus writes it, and indented text with other spacing.
    for (const std::string& text :
         {appended(value), value.dump(2, ' ', false, Json::error_handler_t::replace)}) {
      const Json j = Json::parse(text);
      auto t = nimbus::format::JsonText::parse(text);
      ASSERT_TRUE(t) << text << ": " << t.error().message;
      expect_same_reading(*t, j, text);
      auto end = nimbus::format::json_value_end(text, 0);
      ASSERT_TRUE(end) << text;
      ASSERT_GE(*end, text.find_last_not_of(" \n") +
                          (text.front() == '{' || text.front() == '[' || text.front() == '"' ? 1 : 0))
          << text;
    }
  }
}

TEST(EncodingDifferentialTest, ANameGivenTwiceIsReadAsNlohmannReadsIt) {
  // Two names that are not UTF-8 are both written as U+FFFD: the text then names one member twice.
  const std::string text = R"({"a":1,"b":2,"a":{"c":3}})";
  auto t = nimbus::format::JsonText::parse(text);
  ASSERT_TRUE(t);
  expect_same_reading(*t, Json::parse(text), text);
  ASSERT_EQ(t->items().size(), 2U);
  EXPECT_EQ((*t)["a"].text(), R"({"c":3})");
  EXPECT_EQ(t->items()[0].first, "a");  // in its first place
}

TEST(EncodingDifferentialTest, StringsWrittenAndReadBackAreNlohmannsStrings) {
  for (const std::string& s : strings()) {
    const std::string literal = appended_string(s);
    std::string back;
    ASSERT_TRUE(nimbus::format::json_unescape(literal, back)) << testing::PrintToString(s);
    ASSERT_EQ(back, Json::parse(literal).get<std::string>()) << testing::PrintToString(s);
    if (nimbus::detail::valid_utf8(s)) {
      ASSERT_EQ(back, s) << testing::PrintToString(s);  // exact when valid
    }
  }
}

TEST(EncodingDifferentialTest, Rfc3339WrittenAndReadBackIsTheSameTimeToItsDigits) {
  std::mt19937_64 random(5);
  for (int i = 0; i < 100'000; ++i) {
    // Any nanosecond from 1677 to 2262 that the clock holds.
    constexpr std::uint64_t kHalf = 9'000'000'000'000'000'000ULL;
    const std::uint64_t r = random() % (2 * kHalf);  // centred without a signed overflow
    const auto ns = r >= kHalf ? static_cast<std::int64_t>(r - kHalf) : -static_cast<std::int64_t>(kHalf - r);
    const auto t = std::chrono::system_clock::time_point(std::chrono::nanoseconds(ns));
    for (int digits : {0, 3, 6, 9}) {
      const std::string text = nimbus::format::rfc3339(t, digits);
      auto back = nimbus::format::parse_rfc3339(text);
      ASSERT_TRUE(back) << text;
      const std::int64_t unit = digits == 9   ? 1
                                : digits == 6 ? 1'000
                                : digits == 3 ? 1'000'000
                                              : 1'000'000'000;
      const std::int64_t floored = ns >= 0 ? ns / unit * unit : -((-ns + unit - 1) / unit) * unit;
      ASSERT_EQ(std::chrono::duration_cast<std::chrono::nanoseconds>(back->time_since_epoch()).count(),
                floored)
          << text;
    }
  }
}

TEST(EncodingDifferentialTest, Base64DecodesWhatItEncodesForEveryLength) {
  std::mt19937_64 random(3);
  for (std::size_t n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    const std::string text = nimbus::format::base64_encode(bytes);
    ASSERT_EQ(text.size(), (n + 2) / 3 * 4);
    ASSERT_EQ(nimbus::format::base64_decode(text), bytes) << n;
    std::string url_safe = text;  // the URL-safe alphabet, without padding, with line breaks: the same bytes
    for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!url_safe.empty() && url_safe.back() == '=') url_safe.pop_back();
    if (url_safe.size() > 8) url_safe.insert(8, "\n");
    ASSERT_EQ(nimbus::format::base64_decode(url_safe), bytes) << n;
  }
  EXPECT_EQ(nimbus::format::base64_decode("YQ==").value_or("?"), "a");  // RFC 4648's vectors
  EXPECT_EQ(nimbus::format::base64_decode("Zm9vYmFy").value_or("?"), "foobar");
  for (const char* bad : {"!!", "A", "YQ=a", "YQ==="})
    EXPECT_FALSE(nimbus::format::base64_decode(bad)) << bad;
}

}  // namespace
