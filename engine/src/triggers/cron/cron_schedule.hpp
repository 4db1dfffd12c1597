#pragma once
// Cron schedules as nuclio's cron trigger takes them: six fields with
// seconds (`*/5 * * * * *`: second minute hour day-of-month month
// day-of-week), or the classic five (seconds 0), or a descriptor (`@every
// 1m30s`, `@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`,
// `@yearly`/`@annually`). Fields take `*` (or `?`), numbers, ranges `a-b`,
// steps `*/n`, `a/n`, `a-b/n`, and lists `a,b`; months and weekdays also by
// their English three-letter names, Sunday as 0 or 7. When day-of-month and
// day-of-week are both restricted, either matching is enough (as cron does).
// Times are the machine's local time (TZ).

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "nimbus/result.hpp"

namespace nimbus::engine::cron {

class Schedule {
 public:
  using clock = std::chrono::system_clock;

  /// Reads a schedule; the error names the field that is wrong and why.
  static Result<Schedule> parse(std::string_view text) noexcept;

  /// The first time strictly after `after` that the schedule names (to the
  /// second); nothing when it names none in the next five years (`0 0 30 2 *`).
  [[nodiscard]] std::optional<clock::time_point> next(clock::time_point after) const;

  /// For `@every`: the interval; nothing for calendar schedules.
  [[nodiscard]] std::optional<std::chrono::milliseconds> every() const noexcept { return every_; }

 private:
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 (Sunday)..6
  bool any_day_ = true;      // day-of-month is `*`
  bool any_weekday_ = true;  // day-of-week is `*`
  std::optional<std::chrono::milliseconds> every_;
};

}  // namespace nimbus::engine::cron
