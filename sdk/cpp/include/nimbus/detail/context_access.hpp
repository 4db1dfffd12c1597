#pragma once
/// @file
/// The host's operations on a `Context`, which function authors never call:
/// adopting a binding, who observes the calls on them, and each event's
/// trigger and deadline. Used by the engine's `FunctionHost` and by the
/// testing helpers. Private to Nimbus.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "nimbus/context.hpp"

namespace nimbus::detail {

struct ContextAccess {
  /// Adds or replaces the binding named `name`; it is observed like the others.
  static void set_binding(Context& ctx, std::string name, std::shared_ptr<Binding> binding) {
    ctx.set_binding(std::move(name), std::move(binding));
  }
  /// Reports every binding call to `observer` (a recorder, a replayer), or to
  /// nobody when null. It must outlive its use.
  static void observe_bindings(Context& ctx, BindingObserver* observer) { ctx.observe_bindings(observer); }
  /// Sets the trigger kind and name and the trace parent (in place, without
  /// allocating when unchanged) and the deadline, before each event.
  static void begin_event(Context& ctx, std::string_view kind, std::string_view name,
                          std::string_view trace_parent, std::chrono::steady_clock::time_point deadline) {
    ctx.begin_event(kind, name, trace_parent, deadline);
  }
  /// Who acknowledges and calls for `ctx.platform()` (null: nobody, each call an error).
  static void set_platform_host(Context& ctx, PlatformHost* host) { ctx.platform_.host_ = host; }
  /// Runs the function's drain and termination callbacks (once; later calls do nothing).
  static void terminate(Context& ctx) noexcept { ctx.platform_.terminate(ctx.logger()); }
};

}  // namespace nimbus::detail
