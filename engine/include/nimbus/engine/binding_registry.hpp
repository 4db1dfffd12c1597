#pragma once
/// @file
/// Creating data bindings from their configuration, by kind.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/bindings.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// Makes bindings of the kinds registered with it. Kinds are registered
/// explicitly (`register_builtin_bindings`), never by static initialisers.
class BindingRegistry {
 public:
  using Factory = std::function<Result<std::shared_ptr<Binding>>(const BindingSpec&)>;

  /// Adds (or replaces) the factory for `kind`.
  void add(std::string kind, Factory factory);
  /// True when `kind` is registered.
  [[nodiscard]] bool has(std::string_view kind) const { return factories_.find(kind) != factories_.end(); }
  /// The registered kinds, sorted.
  [[nodiscard]] std::vector<std::string> kinds() const;
  /// Makes the binding `spec` describes; an unknown kind is an error naming
  /// where it was declared and the kinds that exist.
  [[nodiscard]] Result<std::shared_ptr<Binding>> make(const BindingSpec& spec) const noexcept;

 private:
  std::map<std::string, Factory, std::less<>> factories_;
};

/// Registers `memory` (an empty in-memory key-value store) and `file` (an
/// in-memory key-value store seeded from a JSON object file; writes are not
/// written back, so a fixture stays as it is).
void register_builtin_bindings(BindingRegistry& registry);

/// Parses a command-line binding, `name=kind` or `name=kind:path`
/// (`cache=memory`, `cache=file:fixtures/cache.json`).
Result<BindingSpec> parse_binding_flag(std::string_view flag) noexcept;

}  // namespace nimbus::engine
