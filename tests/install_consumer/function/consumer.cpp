#include <nimbus/nimbus.hpp>

nimbus::Json echo(nimbus::Context& ctx, const nimbus::Event& event) {
  ctx.logger().info_with("echo", {{"bytes", event.body().size()}});
  return {{"echo", event.body()}, {"function", ctx.function_name()}};
}
NIMBUS_FUNCTION(echo)
