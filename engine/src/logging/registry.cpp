// The log sink registry and the built-in kinds.
#include <exception>

#include "console_sink.hpp"
#include "file_sink.hpp"
#include "nimbus/engine/log_sink.hpp"
#include "queued_sink.hpp"

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
  registry.add("file", logging::make_file_sink);
  registry.add("http", logging::make_http_sink);
  registry.add("nats", logging::make_nats_sink);
  registry.add("redis", logging::make_redis_sink);
}

Result<LogSinkSpec> parse_log_sink_flag(std::string_view flag) noexcept {
  try {
    LogSinkSpec spec;
    spec.origin = "--log-sink " + std::string(flag);
    const auto colon = flag.find(':');
    spec.kind = flag.substr(0, colon);
    if (spec.kind.empty()) {
      return Error{spec.origin + ": expected kind[:name=value,...] (console:format=text, file:path=f.log)"};
    }
    std::string_view rest = colon == std::string_view::npos ? std::string_view() : flag.substr(colon + 1);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const auto eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return Error{spec.origin + ": '" + std::string(item) + "' is not name=value"};
      }
      spec.attributes[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    }
    spec.base_dir = std::filesystem::current_path();
    return spec;
  } catch (const std::exception& e) {
    return Error{"--log-sink " + std::string(flag) + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
