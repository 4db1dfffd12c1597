// JSON string literals as the SDK writes them for binding calls and tapes.
#include "nimbus/json.hpp"

#include <gtest/gtest.h>

#include <string>

#include "nimbus/detail/json_string.hpp"

namespace {

TEST(JsonPlainPrefixTest, StopsAtTheFirstByteThatNeedsEscapingWhereverItIs) {
  // Eight bytes are checked at a time, and short strings and tails in overlapping loads: put each
  // kind of byte at every offset of strings of every length up to 21, alone and before a second one.
  for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\x80', '\xff'}) {
    for (std::size_t n = 1; n <= 21; ++n) {
      for (std::size_t at = 0; at < n; ++at) {
        std::string s(n, 'a');
        s[at] = special;
        EXPECT_EQ(nimbus::detail::json_plain_prefix(s), at)
            << "byte " << static_cast<int>(static_cast<unsigned char>(special)) << " at " << at << " of "
            << n;
        if (at + 1 < n) {
          s[n - 1] = '"';
          EXPECT_EQ(nimbus::detail::json_plain_prefix(s), at) << "first of two, at " << at << " of " << n;
        }
      }
    }
  }
  for (std::size_t n = 0; n < 20; ++n) {
    const std::string plain(n, '~');  // 0x7e and ' ' (0x20) are the edges that need nothing
    EXPECT_EQ(nimbus::detail::json_plain_prefix(plain), n);
    EXPECT_EQ(nimbus::detail::json_plain_prefix(std::string(n, ' ')), n);
  }
}

TEST(JsonPlainPrefixTest, AgreesWithNlohmannOnWhatAStringNeeds) {
  for (int c = 0; c < 256; ++c) {
    const std::string s = "0123456789" + std::string(1, static_cast<char>(c)) + "abc";
    std::string out;
    nimbus::detail::append_json_string(out, s);
    EXPECT_EQ(out, nimbus::Json(s).dump(-1, ' ', false, nimbus::Json::error_handler_t::replace)) << c;
    const bool plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
    EXPECT_EQ(nimbus::detail::json_plain_prefix(s), plain ? s.size() : 10U) << c;
  }
}

}  // namespace
