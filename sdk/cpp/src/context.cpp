#include "nimbus/context.hpp"

#include <string>

namespace nimbus {

std::chrono::milliseconds Context::remaining() const noexcept {
  auto now = std::chrono::steady_clock::now();
  if (deadline_ <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
}

template <class I>
I& Context::interface_of(std::string_view name, std::string_view interface, std::string_view what) {
  Binding* b = binding(name);
  if (b == nullptr) {
    std::string known;
    for (const auto& [k, v] : o_.bindings) known += (known.empty() ? "" : ", ") + k;
    throw BindingError("no data binding named '" + std::string(name) +
                       "' (configured: " + (known.empty() ? "none" : known) + ")");
  }
  auto* i = dynamic_cast<I*>(b);
  if (i == nullptr || !b->provides(interface)) {
    throw BindingError("data binding '" + std::string(name) + "' gives " + std::string(b->interfaces()) +
                       ", not " + std::string(what) + " (" + std::string(interface) + ")");
  }
  return *i;
}

KeyValueStore& Context::kv(std::string_view name) {
  return interface_of<KeyValueStore>(name, "kv", "a key-value store");
}

Publisher& Context::publisher(std::string_view name) {
  return interface_of<Publisher>(name, "publish", "a publisher");
}

ObjectStore& Context::objects(std::string_view name) {
  return interface_of<ObjectStore>(name, "objects", "an object store");
}

Binding* Context::binding(std::string_view name) const noexcept {
  auto it = o_.bindings.find(name);
  return it == o_.bindings.end() ? nullptr : it->second.get();
}

void Context::begin_event(std::string_view kind, std::string_view name, std::string_view trace_parent,
                          std::chrono::steady_clock::time_point deadline) {
  if (trigger_.kind != kind) trigger_.kind.assign(kind);
  if (trigger_.name != name) trigger_.name.assign(name);
  if (trace_parent_ != trace_parent) trace_parent_.assign(trace_parent);
  deadline_ = deadline;
}

}  // namespace nimbus
