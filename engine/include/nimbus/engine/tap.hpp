#pragma once
/// @file
/// A tap on invocations: what the recorder and the replayer implement, and
/// what the emulator and the engine call around every event.

#include <chrono>

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

}  // namespace nimbus::engine
