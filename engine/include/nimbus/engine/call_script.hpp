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
#include <vector>

#include "nimbus/bindings.hpp"
#include "nimbus/format/json_text.hpp"
#include "nimbus/json.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// The recorded calls of one invocation, answered in order.
class CallScript {
 public:
  /// How one call is answered.
  struct Answer {
    std::optional<Json> result;  ///< answer with this (the recorded result)
    std::optional<std::string>
        error;  ///< fail the call with this message (recorded error, or not on the tape)
    /// Neither: the configured binding answers it (lenient, and the tape lacks it).
  };

  /// No recorded calls: every call is one the tape lacks.
  explicit CallScript(bool lenient = false) : lenient_(lenient) {}
  /// From a JSON array of `{binding, operation, arguments, result | error}`,
  /// read in place: `calls_json` must outlive the script. `lenient`: a call
  /// the script lacks goes to the binding instead of failing.
  static Result<CallScript> parse(std::string_view calls_json, bool lenient) noexcept;

  /// The answer to the next call, when it is the next one recorded (same
  /// binding, operation and arguments).
  Answer answer(const detail::BindingCall& call);

 private:
  std::vector<format::JsonText> calls_;
  std::size_t next_ = 0;
  bool lenient_ = false;
};

}  // namespace nimbus::engine
