#pragma once
/// @file
/// A tap on invocations: what the recorder and the replayer implement, and
/// what the emulator and the engine call around every event.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "nimbus/bindings.hpp"
#include "nimbus/event.hpp"
#include "nimbus/format/record.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"

namespace nimbus::engine {

/// Sees one invocation at a time: the event, then its binding calls (as a
/// `detail::BindingObserver`, which may also answer them) and its log records in
/// order, then its response.
class InvocationTap : public detail::BindingObserver {
 public:
  /// Before the handler runs.
  virtual void begin(const Event& event) = 0;
  /// Each log record the function writes during the invocation.
  virtual void log(const LogRecord& record) = 0;
  /// After it: the response and how long the handler took.
  virtual void end(const Response& response, std::chrono::nanoseconds took) = 0;
};

/// An invocation's record as a worker wrote it (docs/tape-format.md).
struct WorkerRecord {
  /// The tape line after its `seq` member (`format::append_record_rest`).
  std::string_view text;
  /// The parts, inside `text`.
  format::RecordParts parts;
  /// How long the handler ran.
  std::chrono::nanoseconds took{0};
};

/// Sees the invocations that pass through a `Dispatcher` (the engine's
/// recorder, the engine's replay), by request id: the event before it goes to
/// a worker, then, for the followed ones, the record the worker wrote, which
/// comes after the response. Called on the dispatcher's polling thread.
class DispatchTap {
 public:
  DispatchTap() = default;
  DispatchTap(const DispatchTap&) = delete;
  DispatchTap& operator=(const DispatchTap&) = delete;
  virtual ~DispatchTap() = default;
  /// Before `event` goes to a worker as request `id`: true to follow it. The
  /// worker then writes the invocation's record, and exactly one of
  /// `record`, `unrecorded` and `lost` follows.
  virtual bool begin(std::uint64_t id, const Event& event) = 0;
  /// The record the worker wrote (the event, binding calls, log records and
  /// response), valid during the call.
  virtual void record(std::uint64_t id, const WorkerRecord& record) = 0;
  /// The dispatcher answered it itself, so no record comes: its worker died
  /// on it (a crash, or killed for a timeout) or before reaching it.
  /// `event`: its bytes as submitted; `took`: from submission to this answer.
  virtual void unrecorded(std::uint64_t id, std::span<const std::byte> event, const Response& response,
                          std::chrono::nanoseconds took) = 0;
  /// Answered, but its record never came: the worker died between the two.
  virtual void lost(std::uint64_t id) = 0;
  /// Idle: a good moment to write out what is buffered.
  virtual void idle() {}
};

}  // namespace nimbus::engine
