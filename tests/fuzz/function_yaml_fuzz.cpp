// function.yaml: any text read as a function's configuration, and the
// triggers nimbus serve would plan for it. Property: an error or a
// configuration, never a throw; an error names the file.
#include <cstdint>

#include "fuzz.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/serve_plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = nimbus::fuzz::text(data, size);
  auto config = nimbus::engine::parse_function_config(input, "fuzz/function.yaml");
  if (!config) {
    nimbus::fuzz::check(config.error().message.rfind("fuzz/function.yaml", 0) == 0,
                        "an error without its file", config.error().message);
    return 0;
  }
  (void)nimbus::engine::plan_triggers(*config, {}, {});
  for (const auto& t : config->triggers) (void)nimbus::engine::worker_mode_of(t);
  return 0;
}
