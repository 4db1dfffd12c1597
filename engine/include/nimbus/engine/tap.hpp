#pragma once
/// @file
/// A tap on invocations: what the recorder and the replayer implement, and
/// what the emulator and the engine call around every event.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "nimbus/bindings.hpp"
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

struct LogEntry;

/// A binding call as it arrives from a worker; the views are valid during the callback.
struct CallEntry {
  std::string_view binding;
  std::string_view operation;
  std::string_view arguments_json;  ///< a JSON value's text
  std::string_view result_json;     ///< a JSON value's text; empty when the call failed
  std::optional<std::string_view> error;
};

/// Sees the invocations that pass through a `Dispatcher` (the engine's
/// recorder, the engine's replay), by request id: the event before it goes to
/// a worker, then the log records and binding calls of the followed ones, in
/// order, then their responses. Called on the dispatcher's polling thread.
class DispatchTap {
 public:
  DispatchTap() = default;
  DispatchTap(const DispatchTap&) = delete;
  DispatchTap& operator=(const DispatchTap&) = delete;
  virtual ~DispatchTap() = default;
  /// Before `event` goes to a worker as request `id`: true to follow it. The
  /// worker then reports its binding calls, and `log`, `call` and `end` follow.
  virtual bool begin(std::uint64_t id, const Event& event) = 0;
  virtual void log(std::uint64_t id, const LogEntry& entry) = 0;
  virtual void call(std::uint64_t id, const CallEntry& call) = 0;
  /// The response (also one the dispatcher made: a crash, a timeout), and the
  /// time from submission to the answer.
  virtual void end(std::uint64_t id, const Response& response, std::chrono::nanoseconds took) = 0;
  /// Idle: a good moment to write out what is buffered.
  virtual void idle() {}
};

}  // namespace nimbus::engine
