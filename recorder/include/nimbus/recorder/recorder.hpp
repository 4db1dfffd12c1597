#pragma once
/// @file
/// Recorders: taps on invocations that write each one to a tape, in the
/// emulator (`nimbus run --record`) and in the engine (`nimbus serve --record`).

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <span>

#include "nimbus/engine/dispatcher.hpp"
#include "nimbus/engine/tap.hpp"
#include "nimbus/recorder/tape.hpp"

namespace nimbus::recorder {

/// Chooses which invocations are recorded: all, or a random fraction.
class Sampler {
 public:
  /// `fraction` in (0, 1].
  explicit Sampler(double fraction) : fraction_(fraction) {}
  bool take() {
    return fraction_ >= 1.0 || std::uniform_real_distribution<double>(0.0, 1.0)(random_) < fraction_;
  }

 private:
  double fraction_;
  std::mt19937_64 random_{std::random_device{}()};
};

/// The emulator's recorder: writes every invocation it sees (or a sample of
/// them) to a tape, a line as each ends. It lets every binding call run.
class Recorder final : public engine::InvocationTap {
 public:
  /// `sample`: the fraction of invocations recorded, in (0, 1].
  explicit Recorder(std::unique_ptr<TapeWriter> tape, double sample = 1.0);

  void begin(const Event& event) override;
  void log(const LogRecord& record) override;
  void end(const Response& response, std::chrono::nanoseconds took) override;
  std::optional<Json> answer(const detail::BindingCall& call) override;
  void completed(const detail::BindingCall& call, std::string_view result, const std::string* error) override;

  [[nodiscard]] std::uint64_t recorded() const noexcept { return tape_->written(); }

 private:
  std::unique_ptr<TapeWriter> tape_;
  Sampler sample_;
  bool recording_ = false;  // this invocation is in the sample
  format::RecordText record_;
};

/// The engine's recorder: follows a sample of the events a `Dispatcher`
/// runs and appends each record as its worker wrote it. Tape lines are
/// buffered and handed to the tape's own thread.
class EngineRecorder final : public engine::DispatchTap {
 public:
  EngineRecorder(std::unique_ptr<TapeWriter> tape, double sample = 1.0);
  ~EngineRecorder() override;
  EngineRecorder(const EngineRecorder&) = delete;
  EngineRecorder& operator=(const EngineRecorder&) = delete;

  bool begin(std::uint64_t id, const Event& event) override;
  void record(std::uint64_t id, const engine::WorkerRecord& record) override;
  void unrecorded(std::uint64_t id, std::span<const std::byte> event, const Response& response,
                  std::chrono::nanoseconds took) override;
  void lost(std::uint64_t id) override;
  void idle() override;

  [[nodiscard]] std::uint64_t recorded() const noexcept { return tape_->written(); }
  /// Followed invocations whose records never came (their worker died after answering).
  [[nodiscard]] std::uint64_t lost() const noexcept { return lost_; }

 private:
  std::unique_ptr<TapeWriter> tape_;
  Sampler sample_;
  format::RecordText fallback_;  // for an invocation the dispatcher answered itself
  std::uint64_t lost_ = 0;
  bool failed_ = false;  // the tape could not be written: said once, then no more recording
};

}  // namespace nimbus::recorder
