#include "nimbus/context.hpp"

#include <string>

namespace nimbus {

std::chrono::milliseconds Context::remaining() const noexcept {
  auto now = std::chrono::steady_clock::now();
  if (deadline_ <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
}

KeyValueStore& Context::kv(std::string_view name) {
  Binding* b = binding(name);
  if (b == nullptr) {
    std::string known;
    for (const auto& [k, v] : o_.bindings) known += (known.empty() ? "" : ", ") + k;
    throw BindingError("no data binding named '" + std::string(name) +
                       "' (configured: " + (known.empty() ? "none" : known) + ")");
  }
  auto* kv = dynamic_cast<KeyValueStore*>(b);
  if (kv == nullptr) {
    throw BindingError("data binding '" + std::string(name) + "' is a " + std::string(b->interface_name()) +
                       " binding, not a key-value store");
  }
  return *kv;
}

Binding* Context::binding(std::string_view name) const noexcept {
  auto it = o_.bindings.find(name);
  return it == o_.bindings.end() ? nullptr : it->second.get();
}

void Context::begin_event(std::string_view kind, std::string_view name,
                          std::chrono::steady_clock::time_point deadline) {
  if (trigger_.kind != kind) trigger_.kind.assign(kind);
  if (trigger_.name != name) trigger_.name.assign(name);
  deadline_ = deadline;
}

}  // namespace nimbus
