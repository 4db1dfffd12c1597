// `memory`: every interface in memory (the tests' and the emulator's stand-in), or the ones
// `BindingSpec::interfaces` names when it stands in for another kind.
#include "kinds.hpp"

namespace nimbus::engine::bindings {
namespace {

class MemoryBinding final : public MemoryKeyValueStore, public MemoryObjectStore, public MemoryPublisher {
 public:
  explicit MemoryBinding(std::string interfaces) : interfaces_(std::move(interfaces)) {}
  [[nodiscard]] std::string_view interfaces() const noexcept override { return interfaces_; }

 private:
  std::string interfaces_;
};

}  // namespace

Result<std::shared_ptr<Binding>> make_memory(const BindingSpec& spec) {
  return std::shared_ptr<Binding>(std::make_shared<MemoryBinding>(
      spec.interfaces.empty() ? std::string(kMemoryInterfaces) : spec.interfaces));
}

}  // namespace nimbus::engine::bindings
