// The log sink registry and the built-in kinds.
#include <exception>

#include "console_sink.hpp"
#include "nimbus/engine/log_sink.hpp"

namespace nimbus::engine {

Result<std::unique_ptr<LogEntrySink>> LogSinkRegistry::make(const LogSinkSpec& spec) const noexcept {
  try {
    const Factory* factory = find(spec.kind);
    if (factory == nullptr) {
      return Error{spec.origin + ": unknown log sink kind '" + spec.kind + "' (known: " + known() + ")"};
    }
    return (*factory)(spec);
  } catch (const std::exception& e) {
    return Error{spec.origin + ": " + e.what()};
  }
}

void register_builtin_log_sinks(LogSinkRegistry& registry) {
  registry.add("console", logging::make_console_sink);
}

}  // namespace nimbus::engine
