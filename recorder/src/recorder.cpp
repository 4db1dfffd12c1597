#include "nimbus/recorder/recorder.hpp"

#include <iostream>

namespace nimbus::recorder {

Recorder::Recorder(std::unique_ptr<TapeWriter> tape, double sample)
    : tape_(std::move(tape)), sample_(sample), record_(tape_->redaction().headers) {}

void Recorder::begin(const Event& event) {
  recording_ = sample_.take();
  if (!recording_) return;
  record_.clear();
  record_.event(event);
}

void Recorder::log(const LogRecord& record) {
  if (recording_) record_.log(record);
}

std::optional<Json> Recorder::answer(const BindingCall& /*call*/) { return std::nullopt; }

void Recorder::completed(const BindingCall& call, const Json& result, const std::string* error) {
  if (recording_) record_.call(call, result, error);
}

void Recorder::end(const Response& response, std::chrono::nanoseconds took) {
  if (!recording_) return;
  record_.response(response);
  tape_->write(record_, std::chrono::duration<double, std::milli>(took).count());
  // In the emulator each record is written as it ends: a crash that stops the process loses none.
  tape_->flush();
  recording_ = false;
}

EngineRecorder::EngineRecorder(std::unique_ptr<TapeWriter> tape, double sample)
    : tape_(std::move(tape)), sample_(sample) {}

EngineRecorder::~EngineRecorder() { tape_->flush(); }

bool EngineRecorder::begin(std::uint64_t id, const Event& event) {
  if (failed_ || !sample_.take()) return false;
  std::unique_ptr<RecordText> r;
  if (spare_.empty()) {
    r = std::make_unique<RecordText>(tape_->redaction().headers);
  } else {
    r = std::move(spare_.back());
    spare_.pop_back();
    r->clear();
  }
  r->event(event);
  open_[id] = std::move(r);
  return true;
}

void EngineRecorder::log(std::uint64_t id, const engine::LogEntry& entry) {
  if (auto it = open_.find(id); it != open_.end()) {
    it->second->log(entry.level, entry.message, entry.fields_json, entry.logger);
  }
}

void EngineRecorder::call(std::uint64_t id, const engine::CallEntry& call) {
  if (auto it = open_.find(id); it != open_.end()) {
    it->second->call(call.binding, call.operation, call.arguments_json, call.result_json, call.error);
  }
}

void EngineRecorder::end(std::uint64_t id, const Response& response, std::chrono::nanoseconds took) {
  auto it = open_.find(id);
  if (it == open_.end()) return;
  it->second->response(response);
  tape_->write(*it->second, std::chrono::duration<double, std::milli>(took).count());
  tape_->hand_over_if_full();  // the time-based flush runs from idle(), off the busy path
  spare_.push_back(std::move(it->second));
  open_.erase(it);
  if (spare_.size() > 256) spare_.pop_back();
}

void EngineRecorder::idle() {
  tape_->flush_if_due();
  if (!failed_ && tape_->failed()) {
    failed_ = true;
    std::cerr << "nimbus: " << tape_->error() << "; recording stopped\n";
  }
}

}  // namespace nimbus::recorder
