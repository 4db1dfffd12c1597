#include "file_trigger.hpp"

#include "nimbus/detail/event_data.hpp"

namespace nimbus::engine {

FileTrigger::FileTrigger(TriggerSpec spec, std::vector<std::string> paths, format::EventDefaults defaults,
                         std::istream* standard_input)
    : Trigger(std::move(spec)),
      paths_(std::move(paths)),
      defaults_(std::move(defaults)),
      standard_input_(standard_input) {}

Result<void> FileTrigger::open(EventLoop& /*loop*/) noexcept {
  auto feed = format::EventFileFeed::open(paths_, defaults_, standard_input_);
  if (!feed) return feed.error();
  feed_.emplace(std::move(*feed));
  return {};
}

void FileTrigger::after_poll() {
  // One event at a time: a submitter that answers at once (the emulator's) takes them all now.
  // An event's latency runs from when the trigger starts reading it; answered at once, the
  // answer's time is when the next one starts (one clock read per event).
  taken_ = std::chrono::steady_clock::now();
  while (started() && !in_flight_ && !exhausted_ && !draining_) {
    auto item = feed_->next();
    if (!item) {
      exhausted_ = true;
      return;
    }
    if (!item->event) {
      reject(item->origin, item->event.error().message);
      taken_ = std::chrono::steady_clock::now();
      continue;
    }
    const detail::EventBuffer event(*item->event);
    in_flight_ = true;
    submit(event, item->origin, [this](const Response& response) {
      const auto answered = std::chrono::steady_clock::now();
      stats().record(response.status(), answered - taken_);
      taken_ = answered;
      in_flight_ = false;
    });
  }
}

Result<std::unique_ptr<Trigger>> make_file_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment) {
  const std::string where = "spec.triggers." + spec.name + ".attributes.";
  auto paths = string_list_attribute(spec, "paths");
  if (!paths) return paths.error();
  if (paths->empty()) {
    return Error{where + "paths: expected a list of event files, directories or - (standard input)"};
  }
  format::EventDefaults defaults;
  if (auto t = spec.attributes.find("eventTrigger"); t != spec.attributes.end()) {
    if (!t->is_object()) return Error{where + "eventTrigger: expected {kind, name}"};
    if (t->contains("kind") && (*t)["kind"].is_string())
      defaults.trigger_kind = (*t)["kind"].get<std::string>();
    defaults.trigger_name = defaults.trigger_kind;
    if (t->contains("name") && (*t)["name"].is_string())
      defaults.trigger_name = (*t)["name"].get<std::string>();
  }
  return std::unique_ptr<Trigger>(std::make_unique<FileTrigger>(spec, std::move(*paths), std::move(defaults),
                                                                environment.standard_input));
}

}  // namespace nimbus::engine
