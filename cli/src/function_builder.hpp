#pragma once
/// @file
/// Building a C++ function's shared library from its sources, into a cache
/// beside it (`<function folder>/.nimbus/`), only when it is missing or older
/// than its sources.

#include <filesystem>
#include <ostream>

#include "nimbus/engine/function_config.hpp"
#include "nimbus/result.hpp"

namespace nimbus::cli {

/// How to build.
struct BuildOptions {
  /// The folder holding NimbusConfig.cmake (the SDK the function builds against).
  std::filesystem::path package_dir;
  /// The SDK shared library the host runs with; a function older than it is
  /// rebuilt (empty: the one this process has loaded).
  std::filesystem::path sdk_library;
  /// Build even when the library looks up to date.
  bool force = false;
  /// An optimized build with debug symbols (RelWithDebInfo, for serving) in
  /// `.nimbus/release/`, instead of the Debug build (for the emulator and
  /// the debugger) in `.nimbus/`.
  bool optimized = false;
  /// Where to say "building ..." (null: say nothing).
  std::ostream* progress = nullptr;
};

/// What a build did.
struct BuildResult {
  std::filesystem::path library;  ///< the built `<module>.so`
  bool rebuilt = false;           ///< false when it was already up to date
};

/// The file of the SDK shared library loaded in this process.
std::filesystem::path loaded_sdk_library();

/// The library a function's build produces: `<dir>/.nimbus/lib/<module>.so`,
/// or `<dir>/.nimbus/release/lib/<module>.so` when `optimized`.
std::filesystem::path function_library_path(const engine::FunctionConfig& config, bool optimized = false);

/// Builds the function when needed. Fails with the tail of the compiler's
/// output when the build fails; the whole log is kept in `.nimbus/build.log`.
Result<BuildResult> build_function(const engine::FunctionConfig& config,
                                   const BuildOptions& options) noexcept;

}  // namespace nimbus::cli
