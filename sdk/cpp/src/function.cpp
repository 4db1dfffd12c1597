#include <exception>
#include <string>

#include "nimbus/detail/function_entry.hpp"

namespace nimbus::detail {
namespace {

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

Response call_handler(const FunctionEntry& entry, Context& ctx, const Event& event) noexcept {
  std::string what;
  try {
    return entry.handler(ctx, event);
  } catch (...) {
    what = describe_current_exception();
  }
  try {
    ctx.logger().error_with("handler failed", {{"error", what}, {"event_id", event.id()}});
    return Response::text("handler error: " + what, 500);
  } catch (...) {
    return Response::empty(500);  // out of memory while reporting: still answer
  }
}

Result<void> call_init(const FunctionEntry& entry, Context& ctx) noexcept {
  if (entry.init == nullptr) return {};
  try {
    entry.init(ctx);
    return {};
  } catch (...) {
    try {
      return Error{std::string("init hook of '") + entry.name + "' failed: " + describe_current_exception()};
    } catch (...) {
      return Error{};
    }
  }
}

}  // namespace nimbus::detail
