#pragma once
// Where the SDK's CMake package is, for building functions.

#include <filesystem>

namespace nimbus::cli {

/// NIMBUS_CMAKE_DIR if set; else the installed package beside this
/// executable (<prefix>/bin/nimbus -> <prefix>/lib/cmake/Nimbus); else the
/// build tree this executable was built in.
std::filesystem::path sdk_package_dir();

}  // namespace nimbus::cli
