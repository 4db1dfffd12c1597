#pragma once
/// @file
/// Creating data bindings from their configuration, by kind.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/bindings.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/kind_registry.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// Makes a binding from its spec.
using BindingFactory = std::function<Result<std::shared_ptr<Binding>>(const BindingSpec&)>;

/// A binding kind: the interfaces its bindings give ("kv, publish", as
/// `Binding::interfaces` says it) and how one is made.
struct BindingKind {
  std::string interfaces;
  BindingFactory make;
};

/// Makes bindings of the kinds registered with it. Kinds are registered
/// explicitly (`register_builtin_bindings`), never by static initialisers.
class BindingRegistry : public KindRegistry<BindingKind> {
 public:
  using Factory = BindingKind;
  /// Makes the binding `spec` describes; an unknown kind is an error naming
  /// where it was declared and the kinds that exist.
  [[nodiscard]] Result<std::shared_ptr<Binding>> make(const BindingSpec& spec) const noexcept;
  /// The interfaces a kind's bindings give; empty for an unknown kind.
  [[nodiscard]] std::string interfaces(std::string_view kind) const;
};

/// Registers `memory` (an empty in-memory key-value store), `file` (an
/// in-memory key-value store seeded from a JSON object file; writes are not
/// written back, so a fixture stays as it is), `redis` (key-value on a
/// Redis server) and `sqlite` (key-value in an SQLite database file).
void register_builtin_bindings(BindingRegistry& registry);

/// Parses a command-line binding, `name=kind`, `name=kind:path` or `name=kind:url`
/// (`cache=memory`, `cache=file:fixtures/cache.json`, `cache=redis:redis://127.0.0.1:6379`).
Result<BindingSpec> parse_binding_flag(std::string_view flag) noexcept;

}  // namespace nimbus::engine
