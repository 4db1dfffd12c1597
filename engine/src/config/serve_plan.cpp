#include "nimbus/engine/serve_plan.hpp"

#include <algorithm>
#include <string>

#include "nimbus/engine/trigger.hpp"

namespace nimbus::engine {

Result<WorkerMode> worker_mode_of(const TriggerSpec& spec) noexcept {
  auto mode = string_attribute(spec, "workerMode", "process");
  if (!mode) return mode.error();
  if (*mode == "process") return WorkerMode::kProcess;
  if (*mode == "thread") return WorkerMode::kThread;
  return Error{"spec.triggers." + spec.name + ".attributes.workerMode: expected process or thread, got '" +
               *mode + "'"};
}

Result<std::vector<ServedTrigger>> plan_triggers(const FunctionConfig& config,
                                                 const ServeOverrides& overrides,
                                                 const WorkerOptions& worker) noexcept {
  try {
    std::vector<TriggerSpec> specs = config.triggers;
    if (specs.empty()) specs.push_back(TriggerSpec{"http", "http", 1, Json::object()});
    const auto http_count =
        std::count_if(specs.begin(), specs.end(), [](const auto& t) { return t.kind == "http"; });
    const std::string file =
        config.file.empty() ? std::string("function.yaml") : config.file.filename().string();
    for (const auto& [flag, given] : {std::pair{"--port", overrides.port.has_value()},
                                      std::pair{"--max-body-size", overrides.max_body_bytes.has_value()}}) {
      if (!given) continue;
      if (http_count == 0) return Error{std::string(flag) + ": " + file + " declares no http trigger"};
      if (http_count > 1) {
        return Error{std::string(flag) + ": " + file + " declares " + std::to_string(http_count) +
                     " http triggers; set attributes.port and attributes.maxRequestBodySize on each instead"};
      }
    }
    std::vector<ServedTrigger> plan;
    for (auto& spec : specs) {
      if (spec.kind == "http") {
        if (overrides.port) spec.attributes["port"] = *overrides.port;
        if (overrides.max_body_bytes) spec.attributes["maxRequestBodySize"] = *overrides.max_body_bytes;
      }
      ServedTrigger served;
      served.pool.worker = worker;
      served.pool.num_workers = overrides.workers.value_or(spec.num_workers);
      served.pool.event_timeout = overrides.event_timeout.value_or(config.event_timeout);
      if (overrides.worker_mode) {
        served.pool.worker.mode = *overrides.worker_mode;
      } else {
        auto mode = worker_mode_of(spec);
        if (!mode) return Error{file + ": " + mode.error().message};
        served.pool.worker.mode = *mode;
      }
      served.origin = file;
      served.spec = std::move(spec);
      plan.push_back(std::move(served));
    }
    return plan;
  } catch (const std::exception& e) {
    return Error{std::string("planning the triggers: ") + e.what()};
  }
}

}  // namespace nimbus::engine
