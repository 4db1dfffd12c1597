#pragma once
/// @file
/// Kinds by name, each with its factory: the one mechanism behind the
/// trigger, binding and log sink registries. Kinds are registered explicitly
/// (`register_builtin_triggers(registry)`), never by static initialisers.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nimbus::engine {

template <class Factory>
class KindRegistry {
 public:
  /// Adds (or replaces) the factory for `kind`.
  void add(std::string kind, Factory factory) {
    factories_.insert_or_assign(std::move(kind), std::move(factory));
  }
  /// True when `kind` is registered.
  [[nodiscard]] bool has(std::string_view kind) const { return factories_.find(kind) != factories_.end(); }
  /// The registered kinds, sorted.
  [[nodiscard]] std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    out.reserve(factories_.size());
    for (const auto& [kind, factory] : factories_) out.push_back(kind);
    return out;
  }
  /// The registered kinds for a message: "file, http".
  [[nodiscard]] std::string known() const {
    std::string out;
    for (const auto& [kind, factory] : factories_) {
      if (!out.empty()) out += ", ";
      out += kind;
    }
    return out;
  }

 protected:
  /// The factory of `kind`, or null.
  [[nodiscard]] const Factory* find(std::string_view kind) const {
    auto it = factories_.find(kind);
    return it == factories_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, Factory, std::less<>> factories_;
};

}  // namespace nimbus::engine
