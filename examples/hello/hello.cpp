// The hello function: greets by name and remembers whom it has greeted.
#include <cstdlib>
#include <nimbus/nimbus.hpp>
#include <string>

// The name comes from the X-Name header, a JSON body's "name", or the
// "name" query field; the greeting word from the GREETING variable.
nimbus::Response greet(nimbus::Context& ctx, const nimbus::Event& event) {
  std::string name(event.header("X-Name").value_or(""));
  if (name.empty() && event.content_type() == "application/json") {
    name = event.json().value("name", "");
  }
  if (name.empty()) name = event.field("name").value_or("world");

  const char* word = std::getenv("GREETING");
  auto& seen = ctx.kv("seen");
  const bool again = seen.get(name).has_value();
  seen.put(name, "1");

  ctx.logger().info_with("greeting", {{"name", name}, {"again", again}});
  if (again) ctx.logger().debug("{} was greeted before", name);
  return nimbus::Response::json(
      {{"greeting", std::string(word != nullptr ? word : "hello") + ", " + name}, {"again", again}});
}
NIMBUS_FUNCTION(greet)
