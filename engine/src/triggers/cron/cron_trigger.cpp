#include "cron_trigger.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nimbus/format/event_file.hpp"
#include "nimbus/format/time_text.hpp"

namespace nimbus::engine::cron {

CronTrigger::CronTrigger(TriggerSpec spec, Schedule schedule, detail::EventData event)
    : Trigger(std::move(spec)), schedule_(schedule), event_(std::move(event)) {}

CronTrigger::~CronTrigger() {
  if (timer_fd_ >= 0) {
    if (loop_ != nullptr) loop_->unwatch(timer_fd_);
    close(timer_fd_);
  }
}

Result<void> CronTrigger::open(EventLoop& loop) noexcept {
  timer_fd_ = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return Error{"cron trigger '" + spec().name + "': timerfd: " + std::strerror(errno)};
  if (auto ok = loop.watch(timer_fd_, EPOLLIN, this); !ok) return ok.error();
  loop_ = &loop;
  return {};
}

void CronTrigger::on_start() { arm(); }

void CronTrigger::arm() {
  if (draining_) return;
  const auto now = Schedule::clock::now();
  // An interval keeps its rhythm (the next tick counts from the last one), unless it fell behind.
  if (schedule_.every() && next_ && *next_ + *schedule_.every() > now) {
    next_ = *next_ + *schedule_.every();
  } else {
    next_ = schedule_.next(now);
  }
  if (!next_) {
    reject(spec().name,
           "cron trigger '" + spec().name + "': the schedule names no time in the next five years");
    return;
  }
  const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(next_->time_since_epoch());
  itimerspec when{};
  when.it_value.tv_sec = static_cast<time_t>(since_epoch.count() / 1'000'000'000);
  when.it_value.tv_nsec = static_cast<long>(since_epoch.count() % 1'000'000'000);
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &when, nullptr) != 0) {
    notice("cron trigger '" + spec().name + "': timerfd_settime: " + std::strerror(errno));
  }
}

void CronTrigger::on_ready(std::uint32_t /*events*/) {
  std::uint64_t expirations = 0;
  if (read(timer_fd_, &expirations, sizeof expirations) != static_cast<ssize_t>(sizeof expirations)) return;
  fire();
  arm();
}

void CronTrigger::fire() {
  if (!started() || draining_) return;
  const auto tick = next_.value_or(Schedule::clock::now());
  if (in_flight_ >= spec().num_workers) {
    ++skipped_;
    notice("cron trigger '" + spec().name + "': the tick of " + format::rfc3339(tick, 3) +
           " was skipped: " + std::to_string(in_flight_) + " earlier events are still running (numWorkers " +
           std::to_string(spec().num_workers) + ")");
    return;
  }
  detail::EventData e = event_;
  e.id = ids_.next();
  e.timestamp = Schedule::clock::now();
  const detail::EventBuffer event(e);
  ++in_flight_;
  const auto started_at = std::chrono::steady_clock::now();
  submit(event, {}, [this, started_at](const Response& response) {
    --in_flight_;
    stats().record(response.status(), std::chrono::steady_clock::now() - started_at);
  });
}

void CronTrigger::drain() {
  draining_ = true;
  itimerspec off{};
  if (timer_fd_ >= 0) timerfd_settime(timer_fd_, 0, &off, nullptr);
}

Json CronTrigger::describe() const {
  Json out = Json::object();
  if (next_ && !draining_) out["nextTick"] = format::rfc3339(*next_, 3);
  return out;
}

Result<std::unique_ptr<Trigger>> make_cron_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& /*environment*/) {
  const std::string where = "spec.triggers." + spec.name + ".attributes.";
  const bool has_schedule = spec.attributes.contains("schedule");
  const bool has_interval = spec.attributes.contains("interval");
  if (has_schedule == has_interval) {
    return Error{"spec.triggers." + spec.name + ": a cron trigger takes exactly one of attributes.schedule " +
                 R"(("*/5 * * * * *") and attributes.interval ("1s"))"};
  }
  auto text = string_attribute(spec, has_schedule ? "schedule" : "interval", "");
  if (!text) return text.error();
  auto schedule = Schedule::parse(has_schedule ? *text : "@every " + *text);
  if (!schedule)
    return Error{where + (has_schedule ? "schedule: " : "interval: ") + schedule.error().message};

  // The event each tick sends, read as an event file is: its errors name the field.
  Json event = Json::object();
  if (auto it = spec.attributes.find("event"); it != spec.attributes.end() && !it->is_null()) event = *it;
  format::EventDefaults defaults;
  defaults.trigger_kind = "cron";
  defaults.trigger_name = spec.name;
  auto data = format::parse_event(event, spec.name, defaults);
  if (!data) return Error{where + "event: " + data.error().message};
  data->trigger_kind = "cron";
  data->trigger_name = spec.name;
  auto trigger = std::make_unique<CronTrigger>(spec, *schedule, std::move(*data));
  return std::unique_ptr<Trigger>(std::move(trigger));
}

}  // namespace nimbus::engine::cron
