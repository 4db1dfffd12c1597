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
#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/text.hpp"
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

}  // namespace
