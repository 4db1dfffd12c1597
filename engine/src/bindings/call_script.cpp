#include "nimbus/engine/call_script.hpp"

namespace nimbus::engine {
namespace {

// Arguments match whatever the order of their keys.
bool same_arguments(const Json& recorded, const Json& actual) {
  if (recorded == actual) return true;
  return nlohmann::json::parse(recorded.dump()) == nlohmann::json::parse(actual.dump());
}

}  // namespace

Result<CallScript> CallScript::parse(std::string_view calls_json, bool lenient) noexcept {
  Json calls = Json::parse(calls_json, nullptr, false);
  if (calls.is_discarded() || !calls.is_array()) return Error{"recorded calls: expected a JSON array"};
  return CallScript(std::move(calls), lenient);
}

CallScript::Answer CallScript::answer(const BindingCall& call) {
  if (next_ < calls_.size()) {
    const Json& rec = calls_[next_];
    if (rec.is_object() && rec.value("binding", "") == call.binding &&
        rec.value("operation", "") == call.operation && rec.contains("arguments") &&
        same_arguments(rec["arguments"], call.arguments)) {
      ++next_;
      if (rec.contains("error")) {  // the recorded call failed: so does this one
        return {std::nullopt, rec["error"].is_string() ? rec["error"].get<std::string>() : rec["error"].dump()};
      }
      return {rec.contains("result") ? rec["result"] : Json(nullptr), std::nullopt};
    }
  }
  if (lenient_) return {};
  return {std::nullopt, "replay: " + std::string(call.binding) + "." + std::string(call.operation) + "(" +
                            call.arguments.dump() + ") is not on the tape"};
}

}  // namespace nimbus::engine
