#pragma once
// Where nimbus finds its parts: the SDK's CMake package (for building
// functions) and the worker executable (for serving them).

#include <filesystem>

namespace nimbus::cli {

/// NIMBUS_CMAKE_DIR if set; else the installed package beside this
/// executable (<prefix>/bin/nimbus -> <prefix>/lib/cmake/Nimbus); else the
/// build tree this executable was built in.
std::filesystem::path sdk_package_dir();

/// NIMBUS_WORKER if set; else nimbus-worker beside this executable; else the
/// one in the build tree this executable was built in.
std::filesystem::path worker_executable();

/// The embedded Python runtime that runs Python functions (NIMBUS_PYTHON_HOST,
/// or the one built with this nimbus); empty when it was built without it.
std::filesystem::path python_host_library();

}  // namespace nimbus::cli
