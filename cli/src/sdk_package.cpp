#include "sdk_package.hpp"

#include <cstdlib>
#include <system_error>

namespace nimbus::cli {

std::filesystem::path sdk_package_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("NIMBUS_CMAKE_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / NIMBUS_INSTALL_PACKAGE_SUBDIR;
    if (fs::exists(installed / "NimbusConfig.cmake", ec)) return installed;
  }
  return NIMBUS_BUILD_PACKAGE_DIR;
}

std::filesystem::path worker_executable() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("NIMBUS_WORKER"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::exists(exe.parent_path() / "nimbus-worker", ec)) return exe.parent_path() / "nimbus-worker";
  return NIMBUS_BUILD_WORKER;
}

std::filesystem::path python_host_library() {
  if (const char* env = std::getenv("NIMBUS_PYTHON_HOST"); env != nullptr && *env != '\0') return env;
#ifdef NIMBUS_BUILD_PYTHON_HOST
  return NIMBUS_BUILD_PYTHON_HOST;
#else
  return {};
#endif
}

}  // namespace nimbus::cli
