#pragma once
/// @file
/// A tap on invocations: what the recorder and the replayer implement, and
/// what the emulator and the engine call around every event.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "nimbus/bindings.hpp"
#include "nimbus/engine/record_text.hpp"
#include "nimbus/event.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"

namespace nimbus::engine {

/// Sees one invocation at a time: the event, then its binding calls (as a
/// `BindingObserver`, which may also answer them) and its log records in
/// order, then its response.
class InvocationTap : public BindingObserver {
 public:
  /// Before the handler runs.
  virtual void begin(const Event& event) = 0;
  /// Each log record the function writes during the invocation.
  virtual void log(const LogRecord& record) = 0;
  /// After it: the response and how long the handler took.
  virtual void end(const Response& response, std::chrono::nanoseconds took) = 0;
};

/// Sees the invocations that pass through a `Dispatcher` (the engine's
/// recorder, the engine's replay), by request id: the event before it goes to
/// a worker, then, for the followed ones, the response with the record the
/// worker wrote. Called on the dispatcher's polling thread.
class DispatchTap {
 public:
  DispatchTap() = default;
  DispatchTap(const DispatchTap&) = delete;
  DispatchTap& operator=(const DispatchTap&) = delete;
  virtual ~DispatchTap() = default;
  /// Before `event` goes to a worker as request `id`: true to follow it. The
  /// worker then writes the invocation's record, and `end` follows.
  virtual bool begin(std::uint64_t id, const Event& event) = 0;
  /// The response and the time from submission to the answer. `record`: the
  /// invocation as the worker recorded it (event, binding calls, log records,
  /// response), valid during the call; null when the worker wrote none: a
  /// response the dispatcher made (a crash, a timeout), an event answered
  /// without running it, or a record too large for the channel.
  virtual void end(std::uint64_t id, const Response& response, const RecordParts* record,
                   std::chrono::nanoseconds took) = 0;
  /// Idle: a good moment to write out what is buffered.
  virtual void idle() {}
};

}  // namespace nimbus::engine
