#include "nimbus/format/time_text.hpp"

#include <array>
#include <limits>

namespace nimbus::format {
namespace {

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// The date of a day since 1970-01-01 (H. Hinnant's civil_from_days).
Civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool leap_year(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t year, unsigned month) noexcept {
  constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap_year(year) ? 29 : kDays[month - 1];
}

// Writes `value` as exactly `n` digits at `p`.
void put_digits(char* p, std::uint64_t value, int n) noexcept {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void append_rfc3339(std::string& out, std::chrono::system_clock::time_point t, int digits) {
  digits = digits < 0 ? 0 : digits > 9 ? 9 : digits;
  const std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  // Floor division: a time before 1970 still has a fraction counted forwards.
  std::int64_t seconds = ns / 1'000'000'000;
  std::int64_t fraction = ns % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --seconds;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t of_day = seconds % 86400;
  if (of_day < 0) {
    of_day += 86400;
    --days;
  }
  const Civil c = civil_from_days(days);
  std::array<char, 32> text{};  // YYYY-MM-DDTHH:MM:SS.fffffffffZ
  char* p = text.data();
  put_digits(p, static_cast<std::uint64_t>(c.year < 0 ? 0 : c.year > 9999 ? 9999 : c.year), 4);
  p[4] = '-';
  put_digits(p + 5, c.month, 2);
  p[7] = '-';
  put_digits(p + 8, c.day, 2);
  p[10] = 'T';
  put_digits(p + 11, static_cast<std::uint64_t>(of_day / 3600), 2);
  p[13] = ':';
  put_digits(p + 14, static_cast<std::uint64_t>(of_day / 60 % 60), 2);
  p[16] = ':';
  put_digits(p + 17, static_cast<std::uint64_t>(of_day % 60), 2);
  std::size_t n = 19;
  if (digits > 0) {
    auto f = static_cast<std::uint64_t>(fraction);
    for (int drop = 9 - digits; drop > 0; --drop) f /= 10;
    p[n++] = '.';
    put_digits(p + n, f, digits);
    n += static_cast<std::size_t>(digits);
  }
  p[n++] = 'Z';
  out.append(p, n);
}

std::string rfc3339(std::chrono::system_clock::time_point t, int digits) {
  std::string out;
  append_rfc3339(out, t, digits);
  return out;
}

Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) noexcept {
  const Error not_rfc3339{"is not an RFC 3339 time (e.g. 2026-11-27T13:00:00Z)"};
  bool ok = true;
  // `n` digits at `at`, within [low, high].
  auto digits = [&](std::size_t at, std::size_t n, int low, int high) {
    int v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (k >= s.size() || s[k] < '0' || s[k] > '9') {
        ok = false;
        return 0;
      }
      v = v * 10 + (s[k] - '0');
    }
    if (v < low || v > high) ok = false;
    return v;
  };
  // YYYY-MM-DDTHH:MM:SS, then a fraction, then Z or an offset: at least 20 characters.
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return not_rfc3339;
  const int year = digits(0, 4, 0, 9999);
  const int month = digits(5, 2, 1, 12);
  if (!ok) return not_rfc3339;
  const int day = digits(8, 2, 1, static_cast<int>(days_in_month(year, static_cast<unsigned>(month))));
  const int hour = digits(11, 2, 0, 23);
  const int minute = digits(14, 2, 0, 59);
  const int second = digits(17, 2, 0, 60);  // 60: a leap second
  if (!ok) return not_rfc3339;
  std::size_t i = 19;
  std::int64_t ns = 0;
  if (s[i] == '.') {
    const std::size_t first = ++i;
    std::int64_t scale = 100'000'000;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      ns += (s[i] - '0') * scale;  // digits past the nanosecond add nothing
      scale /= 10;
    }
    if (i == first) return not_rfc3339;  // a '.' needs a digit
  }
  std::int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int h = digits(i + 1, 2, 0, 23);
    const int m = digits(i + 4, 2, 0, 59);
    if (!ok) return not_rfc3339;
    offset_s = (s[i] == '+' ? 1 : -1) * (std::int64_t{h} * 3600 + std::int64_t{m} * 60);
    i = s.size();
  }
  if (i != s.size()) return not_rfc3339;
  const std::int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second - offset_s;
  // The clock counts nanoseconds in 64 bits: about 292 years either side of 1970.
  constexpr std::int64_t kMostSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (seconds < -kMostSeconds || seconds > kMostSeconds) {
    return Error{"is outside the times a nanosecond clock holds (1677-09-21 to 2262-04-11)"};
  }
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(seconds) +
                                                                      std::chrono::nanoseconds(ns)));
}

}  // namespace nimbus::format
