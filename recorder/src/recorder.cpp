#include "nimbus/recorder/recorder.hpp"

namespace nimbus::recorder {

Json call_to_json(const BindingCall& call, const Json& result, const std::string* error) {
  Json j{{"binding", call.binding}, {"operation", call.operation}, {"arguments", call.arguments}};
  if (error != nullptr) {
    j["error"] = *error;
  } else {
    j["result"] = result;
  }
  return j;
}

Recorder::Recorder(std::unique_ptr<TapeWriter> tape, double sample)
    : tape_(std::move(tape)), sample_(sample) {}

void Recorder::begin(const Event& event) {
  recording_ = sample_ >= 1.0 || std::uniform_real_distribution<double>(0.0, 1.0)(random_) < sample_;
  if (!recording_) return;
  record_ = TapeRecord{};
  record_.event = event_to_json(event);
}

void Recorder::log(const LogRecord& record) {
  if (recording_) record_.logs.push_back(log_to_json(record));
}

std::optional<Json> Recorder::answer(const BindingCall& /*call*/) { return std::nullopt; }

void Recorder::completed(const BindingCall& call, const Json& result, const std::string* error) {
  if (recording_) record_.calls.push_back(call_to_json(call, result, error));
}

void Recorder::end(const Response& response, std::chrono::nanoseconds took) {
  if (!recording_) return;
  record_.response = response_to_json(response);
  record_.duration_ms = std::chrono::duration<double, std::milli>(took).count();
  tape_->write(std::move(record_));
  recording_ = false;
}

}  // namespace nimbus::recorder
