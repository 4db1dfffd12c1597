#include "function_builder.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nimbus/function.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawnp

namespace nimbus::cli {

using engine::BuildSpec;
using engine::FunctionConfig;
namespace {

namespace fs = std::filesystem;

bool is_build_input(const fs::path& p) {
  static const std::vector<std::string> kExtensions = {".cpp", ".cc",  ".cxx", ".c",   ".hpp",
                                                       ".hh",  ".hxx", ".h",   ".ipp", ".cmake"};
  if (p.filename() == "CMakeLists.txt" || p.filename() == "function.yaml") return true;
  return std::find(kExtensions.begin(), kExtensions.end(), p.extension().string()) != kExtensions.end();
}

// The newest modification time among the function's build inputs.
fs::file_time_type newest_input(const FunctionConfig& c, const BuildSpec& b) {
  fs::file_time_type newest = fs::last_write_time(c.file);
  auto consider = [&](const fs::path& p) {
    std::error_code ec;
    auto t = fs::last_write_time(p, ec);
    if (!ec && t > newest) newest = t;
  };
  for (const auto& s : b.sources) consider(s);
  if (b.sources.empty()) {
    for (auto it = fs::recursive_directory_iterator(b.path, fs::directory_options::skip_permission_denied);
         it != fs::recursive_directory_iterator(); ++it) {
      const auto name = it->path().filename().string();
      if (it->is_directory() && (name.starts_with(".") || name.starts_with("build"))) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && is_build_input(it->path())) consider(it->path());
    }
  }
  return newest;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail_lines(const std::string& text, std::size_t n) {
  std::deque<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > n) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// Runs a command with stdout and stderr appended to `log`; returns its exit status.
Result<int> run_logged(const std::vector<std::string>& argv, const fs::path& log) {
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Error{log.string() + ": cannot open (" + std::strerror(errno) + ")"};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): posix_spawn's signature
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fd);
  if (rc != 0) return Error{"cannot run " + argv[0] + ": " + std::strerror(rc)};
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error{"waiting for " + argv[0] + ": " + std::strerror(errno)};
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// An exclusive lock on a file, so that two builds of one function wait for each other.
class FileLock {
 public:
  explicit FileLock(const fs::path& p) : fd_(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) {
      while (flock(fd_, LOCK_EX) < 0 && errno == EINTR) {
      }
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

std::string cmake_quote(const fs::path& p) {
  std::string s = p.generic_string();
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\' || ch == '$') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

fs::path loaded_sdk_library() {
  Dl_info info{};
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): dladdr takes an address
  if (dladdr(reinterpret_cast<const void*>(&detail::call_handler), &info) == 0 || info.dli_fname == nullptr)
    return {};
  return fs::canonical(info.dli_fname);
}

fs::path function_library_path(const FunctionConfig& config, bool optimized) {
  return config.dir / ".nimbus" / (optimized ? "release/lib" : "lib") / (config.module + ".so");
}

namespace {

Result<void> check_build_inputs(const FunctionConfig& config, const BuildOptions& options) {
  const std::string where = config.file.string();
  if (!config.build) {
    return Error{where + ": spec.build: missing (name the sources, e.g. 'build: {path: .}')"};
  }
  const BuildSpec& b = *config.build;
  std::error_code ec;
  if (!fs::is_directory(b.path, ec))
    return Error{where + ": spec.build.path: " + b.path.string() + " is not a directory"};
  for (const auto& s : b.sources) {
    if (!fs::is_regular_file(s, ec))
      return Error{where + ": spec.build.sources: " + s.string() + " does not exist"};
  }
  if (!fs::exists(options.package_dir / "NimbusConfig.cmake", ec)) {
    return Error{"the Nimbus SDK's CMake package is not at " + options.package_dir.string() +
                 " (set NIMBUS_CMAKE_DIR to the folder holding NimbusConfig.cmake)"};
  }
  return {};
}

// The CMake project to build: the function's own, or one generated in `cache`
// that compiles the listed sources, or every C++ source in the folder.
Result<fs::path> project_dir(const FunctionConfig& config, const fs::path& cache) {
  const BuildSpec& b = *config.build;
  if (b.sources.empty() && fs::exists(b.path / "CMakeLists.txt")) return b.path;
  std::vector<fs::path> sources = b.sources;
  if (sources.empty()) {
    for (const auto& entry : fs::directory_iterator(b.path)) {
      auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".cpp" || ext == ".cc" || ext == ".cxx"))
        sources.push_back(entry.path());
    }
    std::sort(sources.begin(), sources.end());
  }
  if (sources.empty()) {
    return Error{config.file.string() + ": spec.build.path: " + b.path.string() +
                 " has no CMakeLists.txt and no C++ sources"};
  }
  const fs::path source_dir = cache / "project";
  fs::create_directories(source_dir);
  std::string text = "# Generated by nimbus from " + config.file.string() +
                     "; do not edit.\n"
                     "cmake_minimum_required(VERSION 3.20)\nproject(" +
                     config.module +
                     " LANGUAGES CXX)\n"
                     "find_package(Nimbus REQUIRED)\nnimbus_add_function(" +
                     config.module + " SOURCES";
  for (const auto& s : sources) text += "\n  " + cmake_quote(fs::absolute(s));
  text += ")\n";
  if (!fs::exists(source_dir / "CMakeLists.txt") || read_file(source_dir / "CMakeLists.txt") != text) {
    std::ofstream(source_dir / "CMakeLists.txt", std::ios::binary) << text;
  }
  return source_dir;
}

// Configures and builds; the exit status of the step that stopped, output in `log`.
Result<int> run_cmake(const fs::path& source_dir, const fs::path& build_dir, const std::string& sdk,
                      const fs::path& lib_dir, bool optimized, const fs::path& log) {
  std::ofstream(log, std::ios::trunc).close();
  std::vector<std::string> configure = {
      "cmake",
      "-S",
      source_dir.string(),
      "-B",
      build_dir.string(),
      "-DNimbus_DIR=" + sdk,
      "-DNIMBUS_FUNCTION_OUTPUT_DIR=" + lib_dir.string(),
      optimized ? "-DCMAKE_BUILD_TYPE=RelWithDebInfo" : "-DCMAKE_BUILD_TYPE=Debug"};
  if (!fs::exists(build_dir / "CMakeCache.txt")) {
    configure.emplace_back("-G");
    configure.emplace_back(access("/usr/bin/ninja", X_OK) == 0 ? "Ninja" : "Unix Makefiles");
  }
  auto rc = run_logged(configure, log);
  if (!rc || *rc != 0) return rc;
  return run_logged({"cmake", "--build", build_dir.string()}, log);
}

}  // namespace

Result<BuildResult> build_function(const FunctionConfig& config, const BuildOptions& options) noexcept {
  try {
    if (auto checked = check_build_inputs(config, options); !checked) return checked.error();
    const fs::path cache = config.dir / ".nimbus";
    const fs::path base = options.optimized ? cache / "release" : cache;
    const fs::path library = function_library_path(config, options.optimized);
    const fs::path lib_dir = library.parent_path();
    const fs::path stamp = base / "sdk";
    const fs::path log = base / "build.log";
    fs::create_directories(lib_dir);
    FileLock lock(cache / "lock");

    const std::string sdk = fs::absolute(options.package_dir).lexically_normal().string();
    bool sdk_changed = !fs::exists(stamp) || read_file(stamp) != sdk;
    fs::file_time_type newest = newest_input(config, *config.build);
    std::error_code ec;
    const fs::path sdk_library = options.sdk_library.empty() ? loaded_sdk_library() : options.sdk_library;
    if (!sdk_library.empty()) newest = std::max(newest, fs::last_write_time(sdk_library, ec));
    if (!options.force && !sdk_changed && fs::exists(library, ec) && fs::last_write_time(library) >= newest) {
      return BuildResult{library, false};
    }
    if (options.progress != nullptr)
      *options.progress << "nimbus: building " << config.name << (options.optimized ? ", optimized" : "")
                        << " (" << config.file.string() << ")\n";

    auto source_dir = project_dir(config, cache);
    if (!source_dir) return source_dir.error();
    auto rc = run_cmake(*source_dir, base / "build", sdk, lib_dir, options.optimized, log);
    if (!rc) return rc.error();
    if (*rc != 0) {
      return Error{"build of " + config.name + " failed (full log: " + log.string() +
                   "):" + tail_lines(read_file(log), 25)};
    }
    if (!fs::exists(library)) {
      return Error{"build of " + config.name + " produced no " + library.filename().string() +
                   ": does its CMake project call nimbus_add_function(" + config.module + " ...)?"};
    }
    // Make the library's time reflect this build even when the linker had nothing to do.
    fs::last_write_time(library, fs::file_time_type::clock::now());
    std::ofstream(stamp, std::ios::trunc) << sdk;
    return BuildResult{library, true};
  } catch (const std::exception& e) {
    return Error{config.file.string() + ": build: " + e.what()};
  }
}

}  // namespace nimbus::cli
