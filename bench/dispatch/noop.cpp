// The trivial handler the dispatch benchmark drives.
#include <nimbus/nimbus.hpp>

nimbus::Response noop(nimbus::Context&, const nimbus::Event& event) {
  return nimbus::Response::bytes(std::string(event.path()), "text/plain");
}
NIMBUS_FUNCTION(noop)
