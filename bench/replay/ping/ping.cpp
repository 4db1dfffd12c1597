// The trivial function the replay and record benchmarks drive: one log
// record, one binding call, a short text answer.
#include <nimbus/nimbus.hpp>
#include <string>

nimbus::Response ping(nimbus::Context& ctx, const nimbus::Event& event) {
  const bool seen = ctx.kv("seen").get(event.path()).has_value();
  ctx.logger().info("ping");
  return nimbus::Response::text(seen ? "pong again" : "pong");
}
NIMBUS_FUNCTION(ping)
