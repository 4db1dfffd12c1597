#include "nimbus/engine/binding_registry.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "nimbus/format/text.hpp"
#include "nimbus/json.hpp"

namespace nimbus::engine {
namespace {

namespace fs = std::filesystem;

Result<std::shared_ptr<Binding>> make_file_kv(const BindingSpec& spec) {
  if (spec.path.empty()) {
    return Error{spec.origin + ": binding '" + spec.name + "' of kind 'file' needs a path (file:<path>)"};
  }
  fs::path p = fs::path(spec.path).is_absolute() ? fs::path(spec.path) : spec.base_dir / spec.path;
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return Error{p.string() + ": cannot read fixture for binding '" + spec.name + "' (" +
                 std::strerror(errno) + ")"};
  Json j;
  try {
    j = Json::parse(in);
  } catch (const Json::exception& e) {  // a syntax error, or a number out of range (1e999)
    return Error{p.string() + ": invalid JSON in fixture for binding '" + spec.name + "': " + e.what()};
  }
  if (!j.is_object()) {
    return Error{p.string() + ": fixture for binding '" + spec.name +
                 "' must be a JSON object of key: value"};
  }
  std::map<std::string, std::string> entries;
  for (const auto& [k, v] : j.items()) entries[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return std::shared_ptr<Binding>(std::make_shared<MemoryKeyValueStore>(entries));
}

}  // namespace

void BindingRegistry::add(std::string kind, Factory factory) {
  factories_.insert_or_assign(std::move(kind), std::move(factory));
}

std::vector<std::string> BindingRegistry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [k, f] : factories_) out.push_back(k);
  return out;
}

Result<std::shared_ptr<Binding>> BindingRegistry::make(const BindingSpec& spec) const noexcept {
  try {
    auto it = factories_.find(spec.kind);
    if (it == factories_.end()) {
      return Error{spec.origin + ": unknown binding kind '" + spec.kind + "' for '" + spec.name +
                   "' (known: " + format::join(kinds()) + ")"};
    }
    return it->second(spec);
  } catch (const std::exception& e) {
    return Error{spec.origin + ": binding '" + spec.name + "': " + e.what()};
  }
}

void register_builtin_bindings(BindingRegistry& registry) {
  registry.add("memory", [](const BindingSpec&) -> Result<std::shared_ptr<Binding>> {
    return std::shared_ptr<Binding>(std::make_shared<MemoryKeyValueStore>());
  });
  registry.add("file", make_file_kv);
}

Result<BindingSpec> parse_binding_flag(std::string_view flag) noexcept {
  try {
    auto eq = flag.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == flag.size()) {
      return Error{"--bind " + std::string(flag) +
                   ": expected name=kind or name=kind:path (e.g. cache=memory)"};
    }
    BindingSpec b;
    b.name = flag.substr(0, eq);
    std::string_view rest = flag.substr(eq + 1);
    auto colon = rest.find(':');
    b.kind = rest.substr(0, colon);
    if (colon != std::string_view::npos) b.path = rest.substr(colon + 1);
    b.base_dir = fs::current_path();
    b.origin = "--bind " + std::string(flag);
    return b;
  } catch (const std::exception& e) {
    return Error{"--bind " + std::string(flag) + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
