#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "kinds.hpp"
#include "nimbus/json.hpp"

namespace nimbus::engine::bindings {

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

}  // namespace nimbus::engine::bindings
