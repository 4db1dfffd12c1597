#pragma once
/// @file
/// RFC 3339 times, written and read in one place: tapes (to the
/// nanosecond), log lines and reports (to the millisecond), event files.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nimbus/result.hpp"

namespace nimbus::format {

/// Appends `t` in UTC with `digits` fractional digits (0 to 9; 3 is
/// milliseconds): `2026-11-27T13:00:00.123Z`. Integer arithmetic only: it
/// runs for every log line and every recorded event.
void append_rfc3339(std::string& out, std::chrono::system_clock::time_point t, int digits);

/// The same as a new string.
[[nodiscard]] std::string rfc3339(std::chrono::system_clock::time_point t, int digits = 3);

/// Reads an RFC 3339 time: `2026-11-27T13:00:00Z`, `2026-11-27t13:00:00.250z`,
/// `2026-11-27 14:00:00+01:00`. Every field's digits and range are checked
/// (a leap second, `:60`, is read as the next second); fractional digits past
/// the nanosecond are dropped. The error says what is wrong: not such a time,
/// or one outside what a nanosecond clock holds (1677-09-21 to 2262-04-11).
[[nodiscard]] Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) noexcept;

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar.
[[nodiscard]] std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept;

}  // namespace nimbus::format
