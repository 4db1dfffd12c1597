#pragma once
/// @file
/// Loading a function's shared library and checking its entries.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/function.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// A loaded function library: a `.so` with one or more `NIMBUS_FUNCTION`s.
///
/// ```cpp
/// auto lib = FunctionLibrary::open("hello.so");
/// if (!lib) { report(lib.error()); }
/// auto entry = lib->entry("greet");   // checks the ABI version
/// ```
class FunctionLibrary {
 public:
  /// Opens `path`: checks that it is an ELF shared library exporting Nimbus
  /// entries, then loads it. Errors name the file and what was wrong.
  static Result<FunctionLibrary> open(const std::filesystem::path& path) noexcept;

  /// The names of the functions the library exports, sorted.
  [[nodiscard]] const std::vector<std::string>& function_names() const noexcept { return names_; }

  /// The entry of function `name` (empty: the only one), after checking that
  /// it was built for this host's ABI version.
  [[nodiscard]] Result<const detail::FunctionEntry*> entry(std::string_view name) const noexcept;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct Closer {
    void operator()(void* handle) const noexcept;
  };
  std::filesystem::path path_;
  std::vector<std::string> names_;
  std::shared_ptr<void> handle_;
};

/// The names of the `NIMBUS_FUNCTION` entries that an ELF shared library
/// exports, read from its dynamic symbol table without loading it.
Result<std::vector<std::string>> list_function_entries(const std::filesystem::path& path) noexcept;

}  // namespace nimbus::engine
