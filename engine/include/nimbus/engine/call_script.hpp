#pragma once
/// @file
/// Answers a function's binding calls from a recorded list of calls (a tape
/// record's "calls"), in order: what a replay does instead of reaching a
/// database. One implementation for the emulator's replayer and the engine's
/// workers, so both replay the same way.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "nimbus/bindings.hpp"
#include "nimbus/json.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// The recorded calls of one invocation, answered in order.
class CallScript {
 public:
  /// How one call is answered.
  struct Answer {
    std::optional<Json> result;  ///< answer with this (the recorded result)
    std::optional<std::string> error;  ///< fail the call with this message (recorded error, or not on the tape)
    /// Neither: the configured binding answers it (lenient, and the tape lacks it).
  };

  CallScript() = default;
  /// `calls`: a JSON array of `{binding, operation, arguments, result | error}`.
  /// `lenient`: a call the script lacks goes to the binding instead of failing.
  CallScript(Json calls, bool lenient) : calls_(std::move(calls)), lenient_(lenient) {}
  /// The same from the array's JSON text; an error when it is not an array.
  static Result<CallScript> parse(std::string_view calls_json, bool lenient) noexcept;

  /// The answer to the next call, when it is the next one recorded (same
  /// binding, operation and arguments).
  Answer answer(const BindingCall& call);

 private:
  Json calls_ = Json::array();
  std::size_t next_ = 0;
  bool lenient_ = false;
};

}  // namespace nimbus::engine
