#include "nimbus/engine/call_script.hpp"

namespace nimbus::engine {
namespace {

// Arguments match whatever the order of their keys.
bool same_arguments(std::string_view recorded, std::string_view actual) {
  if (actual == recorded) return true;  // the usual case: written the same way
  auto a = nlohmann::json::parse(recorded, nullptr, false);
  auto b = nlohmann::json::parse(actual, nullptr, false);
  return !a.is_discarded() && !b.is_discarded() && a == b;
}

// A recorded result as a value; "null" and plain strings without parsing.
Json result_value(std::string_view text) {
  if (text == "null") return nullptr;
  if (text.size() >= 2 && text.front() == '"' && text.find('\\') == std::string_view::npos) {
    return std::string(text.substr(1, text.size() - 2));
  }
  return Json::parse(text, nullptr, false);
}

}  // namespace

Result<CallScript> CallScript::parse(std::string_view calls_json, bool lenient) noexcept {
  try {
    auto text = format::JsonText::parse(calls_json);
    if (!text) return Error{"recorded calls: " + text.error().message};
    auto calls = text->elements();
    if (!calls) return Error{"recorded calls: " + calls.error().message};
    CallScript script;
    script.calls_ = std::move(*calls);
    script.lenient_ = lenient;
    return script;
  } catch (const std::exception& e) {
    return Error{std::string("recorded calls: ") + e.what()};
  }
}

CallScript::Answer CallScript::answer(const detail::BindingCall& call) {
  if (next_ < calls_.size()) {
    const format::JsonText& rec = calls_[next_];
    try {
      if (rec.is_object() && rec.contains("arguments") && rec["binding"].is_string() &&
          rec["operation"].is_string() && rec["binding"].get<std::string>() == call.binding &&
          rec["operation"].get<std::string>() == call.operation &&
          same_arguments(rec["arguments"].text(), call.arguments)) {
        ++next_;
        if (rec.contains("error")) {  // the recorded call failed: so does this one
          const format::JsonText error = rec["error"];
          return {std::nullopt, error.is_string() ? error.get<std::string>() : std::string(error.text())};
        }
        return {rec.contains("result") ? result_value(rec["result"].text()) : Json(nullptr), std::nullopt};
      }
    } catch (const std::invalid_argument&) {  // a malformed recorded call matches nothing
    }
  }
  if (lenient_) return {};
  return {std::nullopt, "replay: " + std::string(call.binding) + "." + std::string(call.operation) + "(" +
                            std::string(call.arguments) + ") is not on the tape"};
}

}  // namespace nimbus::engine
