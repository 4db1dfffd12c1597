#include "kinds.hpp"

namespace nimbus::engine::bindings {

Result<std::shared_ptr<Binding>> make_memory_kv(const BindingSpec& /*spec*/) {
  return std::shared_ptr<Binding>(std::make_shared<MemoryKeyValueStore>());
}

}  // namespace nimbus::engine::bindings
