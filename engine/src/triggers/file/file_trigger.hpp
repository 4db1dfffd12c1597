#pragma once
// The file trigger (kind `file`): events from event files, directories of
// them, NDJSON files and standard input (docs/event-files.md), one at a time
// in order: the next is handed over when the last is answered, so a run is
// reproducible and holds one event in memory. A finite source: exhausted
// after the last. Attributes: `paths` (a list; "-" is standard input) and
// `eventTrigger` (`{kind, name}`: what the events say brought them; by
// default `http`, as if they came through the function's HTTP trigger).

#include <chrono>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nimbus/engine/trigger.hpp"
#include "nimbus/format/event_file.hpp"

namespace nimbus::engine {

class FileTrigger final : public Trigger {
 public:
  FileTrigger(TriggerSpec spec, std::vector<std::string> paths, format::EventDefaults defaults,
              std::istream* standard_input);

  Result<void> open(EventLoop& loop) noexcept override;
  void after_poll() override;
  void drain() override { draining_ = true; }
  [[nodiscard]] bool idle() const override { return !in_flight_; }
  [[nodiscard]] bool exhausted() const override { return exhausted_ || draining_; }
  [[nodiscard]] Json describe() const override { return Json{{"paths", paths_}}; }

 private:
  std::vector<std::string> paths_;
  format::EventDefaults defaults_;
  std::istream* standard_input_;
  std::optional<format::EventFileFeed> feed_;
  bool in_flight_ = false;
  std::chrono::steady_clock::time_point taken_;  // when the event in flight was taken
  bool exhausted_ = false;
  bool draining_ = false;
};

/// The factory registered as `file`.
Result<std::unique_ptr<Trigger>> make_file_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment);

}  // namespace nimbus::engine
