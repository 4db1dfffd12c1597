#pragma once
/// @file
/// The one include a function needs.
///
/// ```cpp
/// #include <nimbus/nimbus.hpp>
///
/// nimbus::Response greet(nimbus::Context& ctx, const nimbus::Event& event) {
///   auto name = event.header("X-Name").value_or("world");
///   ctx.logger().info_with("greeting", {{"name", name}});
///   return nimbus::Response::json({{"hello", name}});
/// }
/// NIMBUS_FUNCTION(greet)
/// ```

#include "nimbus/bindings.hpp"
#include "nimbus/context.hpp"
#include "nimbus/event.hpp"
#include "nimbus/function.hpp"
#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/metrics.hpp"
#include "nimbus/platform.hpp"
#include "nimbus/response.hpp"
