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

std::optional<Json> Recorder::answer(const detail::BindingCall& /*call*/) { return std::nullopt; }

void Recorder::completed(const detail::BindingCall& call, std::string_view result, const std::string* error) {
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
    : tape_(std::move(tape)), sample_(sample), fallback_(tape_->redaction().headers) {}

EngineRecorder::~EngineRecorder() {
  tape_->flush();
  if (lost_ > 0) {
    std::cerr << "nimbus: " << lost_ << " recorded invocation" << (lost_ == 1 ? " was" : "s were")
              << " answered but not recorded: the worker exited before sending the record\n";
  }
}

bool EngineRecorder::begin(std::uint64_t /*id*/, const Event& /*event*/) {
  return !failed_ && sample_.take();
}

void EngineRecorder::record(std::uint64_t /*id*/, const engine::WorkerRecord& record) {
  tape_->write_rest(record.text);
  tape_->hand_over_if_full();  // the time-based flush runs from idle(), off the busy path
}

void EngineRecorder::unrecorded(std::uint64_t id, std::span<const std::byte> event, const Response& response,
                                std::chrono::nanoseconds took) {
  auto view = Event::from_bytes(event);
  if (!view) {  // never the case for an event the dispatcher submitted
    lost(id);
    return;
  }
  // The event and the dispatcher's answer; the worker's calls and logs died with it.
  fallback_.clear();
  fallback_.event(*view);
  fallback_.response(response);
  tape_->write(fallback_, std::chrono::duration<double, std::milli>(took).count());
  tape_->hand_over_if_full();
}

void EngineRecorder::lost(std::uint64_t /*id*/) { ++lost_; }

void EngineRecorder::idle() {
  tape_->flush_if_due();
  if (!failed_ && tape_->failed()) {
    failed_ = true;
    std::cerr << "nimbus: " << tape_->error() << "; recording stopped\n";
  }
}

}  // namespace nimbus::recorder
