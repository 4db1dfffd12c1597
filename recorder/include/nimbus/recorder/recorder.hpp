#pragma once
/// @file
/// The recorder: a tap on invocations that writes each one to a tape.

#include <chrono>
#include <memory>
#include <random>

#include "nimbus/engine/tap.hpp"
#include "nimbus/recorder/tape.hpp"

namespace nimbus::recorder {

/// Writes every invocation it sees (or a sample of them) to a tape. It lets
/// every binding call run (it only watches).
class Recorder final : public engine::InvocationTap {
 public:
  /// `sample`: the fraction of invocations recorded, in (0, 1].
  explicit Recorder(std::unique_ptr<TapeWriter> tape, double sample = 1.0);

  void begin(const Event& event) override;
  void log(const LogRecord& record) override;
  void end(const Response& response, std::chrono::nanoseconds took) override;
  std::optional<Json> answer(const BindingCall& call) override;
  void completed(const BindingCall& call, const Json& result, const std::string* error) override;

  [[nodiscard]] std::uint64_t recorded() const noexcept { return tape_->written(); }

 private:
  std::unique_ptr<TapeWriter> tape_;
  double sample_;
  std::mt19937_64 random_{std::random_device{}()};
  bool recording_ = false;  // this invocation is in the sample
  TapeRecord record_;
};

/// A binding call as a tape's JSON.
Json call_to_json(const BindingCall& call, const Json& result, const std::string* error);

}  // namespace nimbus::recorder
