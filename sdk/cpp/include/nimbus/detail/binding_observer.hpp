#pragma once
/// @file
/// What the host sees of a function's binding calls: each call as a recorder
/// or a replayer sees it, and the observer that may answer it. Private to
/// Nimbus: every binding interface reports through `Binding::observed`.

#include <optional>
#include <string>
#include <string_view>

#include "nimbus/json.hpp"

namespace nimbus::detail {

/// One call a function made on a binding, as a recorder or a replayer sees it.
struct BindingCall {
  std::string_view binding;    ///< the binding's name in function.yaml
  std::string_view operation;  ///< "get", "put", "remove", "list", ...
  std::string_view arguments;  ///< a JSON object's compact text, e.g. {"key":"ada"}
  /// The arguments as a JSON value.
  [[nodiscard]] Json arguments_value() const { return Json::parse(arguments); }
};

/// Watches the calls a function makes on its bindings (the recorder) and may
/// answer them itself instead of the binding (the replayer). Every binding
/// interface reports its calls through `Binding::observed`, so a binding
/// added later is recorded and replayed with no work in the recorder or the
/// replayer. Set by the host (`detail::ContextAccess::observe_bindings`).
class BindingObserver {
 public:
  BindingObserver() = default;
  BindingObserver(const BindingObserver&) = delete;
  BindingObserver& operator=(const BindingObserver&) = delete;
  virtual ~BindingObserver() = default;
  /// Before the binding runs: a result to answer with instead of running it,
  /// or nothing to let it run. Throwing fails the call with that exception.
  virtual std::optional<Json> answer(const BindingCall& call) = 0;
  /// After the call: its result as compact JSON text ("null" for none), or,
  /// when `error` is not null, the message of the exception it failed with.
  /// Text, not JSON values: a recorder copies it as it is, for every call.
  virtual void completed(const BindingCall& call, std::string_view result_json, const std::string* error) = 0;
};

}  // namespace nimbus::detail
