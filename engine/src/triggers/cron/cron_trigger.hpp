#pragma once
// The cron trigger (kind `cron`, nuclio's attributes): an event on a
// schedule (`schedule: "*/5 * * * * *"`, see cron_schedule.hpp) or every
// `interval` (`interval: 1s`). `event: {body, headers, path, method, ...}`
// is the event each tick sends, written as an event file is
// (docs/event-files.md); each tick gets its own id and timestamp. A tick
// that finds `numWorkers` events still running is skipped and said so:
// ticks never pile up behind a slow handler.

#include <sys/timerfd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "../event_ids.hpp"
#include "cron_schedule.hpp"
#include "nimbus/detail/event_data.hpp"
#include "nimbus/engine/trigger.hpp"

namespace nimbus::engine::cron {

class CronTrigger final : public Trigger, private EventLoop::Watcher {
 public:
  CronTrigger(TriggerSpec spec, Schedule schedule, detail::EventData event);
  ~CronTrigger() override;
  CronTrigger(const CronTrigger&) = delete;
  CronTrigger& operator=(const CronTrigger&) = delete;

  Result<void> open(EventLoop& loop) noexcept override;
  void drain() override;
  [[nodiscard]] bool idle() const override { return in_flight_ == 0; }
  [[nodiscard]] Json describe() const override;

  /// Ticks that found every worker busy and sent nothing.
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }

 private:
  void on_start() override;
  void on_ready(std::uint32_t events) override;
  void fire();
  void arm();  // the timer for the next tick after now

  Schedule schedule_;
  detail::EventData event_;  // each tick's event, but its id and timestamp
  EventLoop* loop_ = nullptr;
  int timer_fd_ = -1;
  std::optional<Schedule::clock::time_point> next_;  // the tick the timer is armed for
  int in_flight_ = 0;
  std::uint64_t skipped_ = 0;
  bool draining_ = false;
  EventIds ids_;
};

/// The factory registered as `cron`.
Result<std::unique_ptr<Trigger>> make_cron_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment);

}  // namespace nimbus::engine::cron
