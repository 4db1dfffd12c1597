#pragma once
/// @file
/// Replay through the shared-memory engine: a tape's events go through a
/// `Dispatcher` to worker processes, as `nimbus serve` runs them, with their
/// binding calls answered inside the workers from the tape.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "nimbus/engine/dispatcher.hpp"
#include "nimbus/replay/replayer.hpp"

namespace nimbus::replay {

/// Keeps up to `window` records in flight across the workers and hands back
/// results in tape order.
class EngineReplay final : public engine::DispatchTap {
 public:
  using Sink = std::function<void(RecordResult)>;

  /// Starts the workers (`dispatch.notify_fd` and `dispatch.tap` are set here).
  /// `learn`: run every record twice and report, instead of a comparison, the
  /// paths that differ between the two runs (`learned()`).
  static Result<std::unique_ptr<EngineReplay>> start(engine::DispatcherOptions dispatch,
                                                     CompareOptions compare,
                                                     std::vector<std::string> redacted_headers, Sink sink,
                                                     std::size_t window = 512, bool learn = false) noexcept;
  ~EngineReplay() override;
  EngineReplay(const EngineReplay&) = delete;
  EngineReplay& operator=(const EngineReplay&) = delete;

  /// Replays `record`, whose event is `event` (copied into the worker's ring).
  void add(format::TapeLine record, const Event& event, std::string event_id);
  /// A result that needs no run (an unreadable line), kept in tape order.
  void add(RecordResult result);
  /// Waits for every record in flight and hands back the remaining results.
  void finish();
  /// Replaces the noise rules (after learning them).
  void set_noise(NoiseRules noise) { compare_.noise = std::move(noise); }
  /// In learn mode: the paths where two runs of a record differed.
  [[nodiscard]] const std::vector<std::string>& learned() const noexcept { return learned_; }

  bool begin(std::uint64_t id, const Event& event) override;
  void record(std::uint64_t id, const engine::WorkerRecord& record) override;
  void unrecorded(std::uint64_t id, std::span<const std::byte> event, const Response& response,
                  std::chrono::nanoseconds took) override;
  void lost(std::uint64_t id) override;

 private:
  struct Pending;
  EngineReplay() = default;
  // Polls the workers once, waiting a little when nothing is ready; hands back finished results.
  void pump();
  void deliver();
  // One run of a followed request ended: `fill` sets what it did (null: its record was lost).
  template <class Fill>
  void ended(std::uint64_t id, Fill&& fill);

  CompareOptions compare_;
  std::vector<std::string> redacted_headers_;
  Sink sink_;
  std::size_t window_ = 512;
  bool learn_ = false;
  int notify_fd_ = -1;
  std::unique_ptr<engine::Dispatcher> dispatcher_;
  std::deque<std::unique_ptr<Pending>> queue_;                                      // tape order
  std::unordered_map<std::uint64_t, std::pair<Pending*, std::size_t>> by_request_;  // in flight: record, run
  Pending* submitting_ = nullptr;  // the record `begin` belongs to
  std::size_t submitting_run_ = 0;
  std::vector<std::string> learned_;
};

}  // namespace nimbus::replay
