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

void Recorder::completed(const BindingCall& call, std::string_view result, const std::string* error) {
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

EngineRecorder::~EngineRecorder() { tape_->flush(); }

bool EngineRecorder::begin(std::uint64_t id, const Event& event) {
  if (failed_ || !sample_.take()) return false;
  std::string bytes;
  if (!spare_.empty()) {
    bytes = std::move(spare_.back());
    spare_.pop_back();
  }
  const auto b = event.bytes();
  bytes.assign(reinterpret_cast<const char*>(
                   b.data()),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes as chars
               b.size());
  open_[id] = std::move(bytes);
  return true;
}

void EngineRecorder::end(std::uint64_t id, const Response& response, const engine::RecordParts* record,
                         std::chrono::nanoseconds took) {
  auto it = open_.find(id);
  if (it == open_.end()) return;
  const double ms = std::chrono::duration<double, std::milli>(took).count();
  if (record != nullptr) {
    tape_->write(*record, ms);
  } else {  // no record from the worker: the event and the response, without calls or logs
    fallback_.clear();
    const std::string& bytes = it->second;
    if (auto event = Event::from_bytes(std::span(
            reinterpret_cast<const std::byte*>(
                bytes.data()),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): chars as bytes
            bytes.size()))) {
      fallback_.event(*event);
    }
    fallback_.response(response);
    tape_->write(fallback_, ms);
  }
  tape_->hand_over_if_full();  // the time-based flush runs from idle(), off the busy path
  if (spare_.size() < 256) spare_.push_back(std::move(it->second));
  open_.erase(it);
}

void EngineRecorder::idle() {
  tape_->flush_if_due();
  if (!failed_ && tape_->failed()) {
    failed_ = true;
    std::cerr << "nimbus: " << tape_->error() << "; recording stopped\n";
  }
}

}  // namespace nimbus::recorder
