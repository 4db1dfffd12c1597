#include "nimbus/engine/binding_registry.hpp"

#include "kinds.hpp"

namespace nimbus::engine {
namespace fs = std::filesystem;

Result<std::shared_ptr<Binding>> BindingRegistry::make(const BindingSpec& spec) const noexcept {
  try {
    const Factory* factory = find(spec.kind);
    if (factory == nullptr) {
      return Error{spec.origin + ": unknown binding kind '" + spec.kind + "' for '" + spec.name +
                   "' (known: " + known() + ")"};
    }
    return factory->make(spec);
  } catch (const std::exception& e) {
    return Error{spec.origin + ": binding '" + spec.name + "': " + e.what()};
  }
}

std::string BindingRegistry::interfaces(std::string_view kind) const {
  const Factory* factory = find(kind);
  return factory == nullptr ? std::string() : factory->interfaces;
}

void register_builtin_bindings(BindingRegistry& registry) {
  registry.add("memory", {std::string(bindings::kMemoryInterfaces), bindings::make_memory});
  registry.add("file", {"kv", bindings::make_file_kv});
  registry.add("fs", {"objects", bindings::make_fs});
  registry.add("redis", {"kv, publish", bindings::make_redis});
  registry.add("sqlite", {"kv", bindings::make_sqlite});
  registry.add("nats", {"publish", bindings::make_nats});
  registry.add("kafka", {"publish", bindings::make_kafka});
}

Result<BindingSpec> parse_binding_flag(std::string_view flag) noexcept {
  try {
    auto eq = flag.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == flag.size()) {
      return Error{"--bind " + std::string(flag) +
                   ": expected name=kind, name=kind:path or name=kind:url (cache=memory, "
                   "cache=file:fixtures/cache.json, cache=redis:redis://127.0.0.1:6379)"};
    }
    BindingSpec b;
    b.name = flag.substr(0, eq);
    std::string_view rest = flag.substr(eq + 1);
    auto colon = rest.find(':');
    b.kind = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      const std::string_view where = rest.substr(colon + 1);
      (where.find("://") != std::string_view::npos ? b.url : b.path) = where;  // redis://…: a service
    }
    b.base_dir = fs::current_path();
    b.origin = "--bind " + std::string(flag);
    return b;
  } catch (const std::exception& e) {
    return Error{"--bind " + std::string(flag) + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
