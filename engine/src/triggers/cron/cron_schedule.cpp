#include "cron_schedule.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <vector>

#include "nimbus/engine/function_config.hpp"

namespace nimbus::engine::cron {
namespace {

// One field's range, name and (for months and weekdays) the names of its values.
struct FieldRule {
  const char* name;
  int low;
  int high;
  std::array<std::string_view, 12> names;  // names[i] is value low + i
};

constexpr FieldRule kSecond{"second", 0, 59, {}};
constexpr FieldRule kMinute{"minute", 0, 59, {}};
constexpr FieldRule kHour{"hour", 0, 23, {}};
constexpr FieldRule kDay{"day of month", 1, 31, {}};
constexpr FieldRule kMonth{
    "month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
// 0..7: 7 is Sunday again.
constexpr FieldRule kWeekday{"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};

Result<int> value(std::string_view text, const FieldRule& rule, std::string_view field_text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::size_t i = 0; i < rule.names.size(); ++i) {
    if (!rule.names[i].empty() && lower == rule.names[i]) return rule.low + static_cast<int>(i);
  }
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error{std::string(rule.name) + " field '" + std::string(field_text) + "': '" + std::string(text) +
                 "' is not a number" + (rule.names[0].empty() ? "" : " or a name")};
  }
  if (v < rule.low || v > rule.high) {
    return Error{std::string(rule.name) + " field '" + std::string(field_text) + "': " + std::to_string(v) +
                 " is outside " + std::to_string(rule.low) + "-" + std::to_string(rule.high)};
  }
  return v;
}

// The values a field names, as bits (bit v for value v); `star` says whether it was `*` or `?`.
Result<std::vector<bool>> field(std::string_view text, const FieldRule& rule, bool& star) {
  std::vector<bool> bits(static_cast<std::size_t>(rule.high) + 1, false);
  star = text == "*" || text == "?";
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    int step = 1;
    const bool stepped = part.find('/') != std::string_view::npos;
    if (auto slash = part.find('/'); stepped) {
      auto s = value(part.substr(slash + 1), FieldRule{rule.name, 1, 1000, {}}, text);
      if (!s) return s.error();
      step = *s;
      part = part.substr(0, slash);
    }
    int low = rule.low;
    int high = rule.high;
    if (part != "*" && part != "?") {
      const auto dash = part.find('-', 1);
      auto a = value(part.substr(0, dash), rule, text);
      if (!a) return a.error();
      low = *a;
      high = stepped && dash == std::string_view::npos ? rule.high : *a;  // `a/n`: from a to the end
      if (dash != std::string_view::npos) {
        auto b = value(part.substr(dash + 1), rule, text);
        if (!b) return b.error();
        high = *b;
        if (high < low) {
          return Error{std::string(rule.name) + " field '" + std::string(text) + "': the range " +
                       std::string(part) + " runs backwards"};
        }
      }
    }
    for (int v = low; v <= high; v += step) bits[static_cast<std::size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return bits;
}

template <std::size_t N>
void copy_bits(const std::vector<bool>& from, std::bitset<N>& to) {
  for (std::size_t i = 0; i < N && i < from.size(); ++i) to[i] = from[i];
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
    const std::size_t start = i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

// What each descriptor stands for, with seconds.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kDescriptors = {{
    {"@yearly", "0 0 0 1 1 *"},
    {"@annually", "0 0 0 1 1 *"},
    {"@monthly", "0 0 0 1 * *"},
    {"@weekly", "0 0 0 * * 0"},
    {"@daily", "0 0 0 * * *"},
    {"@midnight", "0 0 0 * * *"},
    {"@hourly", "0 0 * * * *"},
}};

// Local time, normalised (a day past the month's end becomes the next month's first).
std::tm normalise(std::tm t) {
  t.tm_isdst = -1;
  const std::time_t at = std::mktime(&t);
  std::tm out{};
  localtime_r(&at, &out);
  return out;
}

}  // namespace

Result<Schedule> Schedule::parse(std::string_view text) noexcept {
  try {
    Schedule s;
    std::vector<std::string_view> fields = split_fields(text);
    if (fields.size() == 2 && fields[0] == "@every") {
      auto d = parse_duration(fields[1]);
      if (!d) return Error{"schedule '" + std::string(text) + "': " + d.error().message};
      if (d->count() < 1)
        return Error{"schedule '" + std::string(text) + "': the interval must be at least 1ms"};
      s.every_ = *d;
      return s;
    }
    if (fields.size() == 1 && fields[0].starts_with('@')) {
      auto d = std::find_if(kDescriptors.begin(), kDescriptors.end(),
                            [&](const auto& entry) { return entry.first == fields[0]; });
      if (d == kDescriptors.end()) {
        return Error{
            "schedule '" + std::string(text) +
            "': unknown descriptor (expected @every <duration>, @hourly, @daily, @midnight, @weekly, "
            "@monthly, @yearly or @annually)"};
      }
      return parse(d->second);
    }
    if (fields.size() == 5) fields.insert(fields.begin(), "0");
    if (fields.size() != 6) {
      return Error{"schedule '" + std::string(text) + "': expected 6 fields (second minute hour day month " +
                   "weekday) or 5 (without seconds), got " + std::to_string(fields.size())};
    }
    const std::array<const FieldRule*, 6> rules = {&kSecond, &kMinute, &kHour, &kDay, &kMonth, &kWeekday};
    std::array<std::vector<bool>, 6> bits;
    std::array<bool, 6> star{};
    for (std::size_t i = 0; i < 6; ++i) {
      auto f = field(fields[i], *rules[i], star[i]);
      if (!f) return Error{"schedule '" + std::string(text) + "': " + f.error().message};
      bits[i] = std::move(*f);
    }
    copy_bits(bits[0], s.seconds_);
    copy_bits(bits[1], s.minutes_);
    copy_bits(bits[2], s.hours_);
    copy_bits(bits[3], s.days_);
    copy_bits(bits[4], s.months_);
    copy_bits(bits[5], s.weekdays_);
    if (bits[5][7]) s.weekdays_[0] = true;  // 7: Sunday
    s.any_day_ = star[3];
    s.any_weekday_ = star[5];
    return s;
  } catch (const std::exception& e) {
    return Error{"schedule '" + std::string(text) + "': " + e.what()};
  }
}

std::optional<Schedule::clock::time_point> Schedule::next(clock::time_point after) const {
  if (every_) return after + *every_;
  const std::time_t start = clock::to_time_t(std::chrono::floor<std::chrono::seconds>(after)) + 1;
  std::tm t{};
  localtime_r(&start, &t);
  const int last_year = t.tm_year + 5;
  // Each step moves to the start of the next candidate month, day, hour, minute or second.
  while (t.tm_year <= last_year) {
    const auto mday = static_cast<std::size_t>(t.tm_mday);
    const auto wday = static_cast<std::size_t>(t.tm_wday);
    const bool day_ok =
        any_day_ || any_weekday_ ? days_[mday] && weekdays_[wday] : days_[mday] || weekdays_[wday];
    if (!months_[static_cast<std::size_t>(t.tm_mon) + 1]) {
      t.tm_mon += 1;
      t.tm_mday = 1;
      t.tm_hour = t.tm_min = t.tm_sec = 0;
    } else if (!day_ok) {
      t.tm_mday += 1;
      t.tm_hour = t.tm_min = t.tm_sec = 0;
    } else if (!hours_[static_cast<std::size_t>(t.tm_hour)]) {
      t.tm_hour += 1;
      t.tm_min = t.tm_sec = 0;
    } else if (!minutes_[static_cast<std::size_t>(t.tm_min)]) {
      t.tm_min += 1;
      t.tm_sec = 0;
    } else if (!seconds_[static_cast<std::size_t>(t.tm_sec)]) {
      t.tm_sec += 1;
    } else {
      std::tm copy = t;
      copy.tm_isdst = -1;
      return clock::from_time_t(std::mktime(&copy));
    }
    t = normalise(t);
  }
  return std::nullopt;
}

}  // namespace nimbus::engine::cron
