// `fs`: the object store on a directory. A key is a relative path inside the root; a put
// streams into a temporary file beside the object and renames it over the old one, so a
// reader (in this process or another worker) sees the old object or the new one, whole, and a
// put that fails half-way leaves the old one as it was.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "kinds.hpp"

namespace nimbus::engine::bindings {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kPiece = std::size_t{64} * 1024;
// What a put is written to before it is renamed over the object; never listed, never a key.
constexpr std::string_view kTempPrefix = ".nimbus-put-";

// `key` as a JSON string, quotes and escapes included: readable whatever bytes it holds.
std::string quoted(std::string_view key) {
  std::string out;
  detail::append_json_string(out, key);
  return out;
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  // Closes now, so that a failed close (a full disk on NFS) is seen.
  int close() noexcept {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

class FsObjectStore final : public ObjectStore {
 public:
  FsObjectStore(std::string name, fs::path root) : name_(std::move(name)), root_(std::move(root)) {}

 protected:
  bool do_read_object(std::string_view key, const ObjectSink& sink) override {
    const fs::path p = path_of(key);
    const Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      fail("get", key, errno);
    }
    std::array<char, kPiece> piece{};
    for (;;) {
      const ssize_t n = ::read(fd.get(), piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EISDIR) return false;  // a prefix of other keys, not an object
      if (n < 0) fail("get", key, errno);
      if (n == 0) return true;
      sink(std::string_view(piece.data(), static_cast<std::size_t>(n)));
    }
  }

  void do_write_object(std::string_view key, const ObjectSource& source) override {
    const fs::path p = path_of(key);
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) fail("put", key, ec.value());
    if (fs::is_directory(p, ec)) {
      throw BindingError(where() + ": put " + quoted(key) + ": a prefix of other keys, not an object");
    }
    static std::atomic<unsigned> next{0};
    const fs::path temp = p.parent_path() / (std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
                                             std::to_string(next.fetch_add(1, std::memory_order_relaxed)) +
                                             "-" + p.filename().string());
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() < 0) fail("put", key, errno);
    try {
      std::array<char, kPiece> piece{};
      for (std::size_t got = 0; (got = source(std::span<char>(piece))) > 0;) {
        got = std::min(got, piece.size());
        for (std::size_t at = 0; at < got;) {
          const ssize_t n = ::write(fd.get(), piece.data() + at, got - at);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) fail("put", key, errno);
          at += static_cast<std::size_t>(n);
        }
      }
      if (::fdatasync(fd.get()) != 0) fail("put", key, errno);  // whole on disk before it is the object
      if (fd.close() != 0) fail("put", key, errno);
      if (::rename(temp.c_str(), p.c_str()) != 0) fail("put", key, errno);
    } catch (...) {  // the source threw, or the disk refused: the old object stays
      ::unlink(temp.c_str());
      throw;
    }
  }

  bool do_remove_object(std::string_view key) override {
    const fs::path p = path_of(key);
    if (::unlink(p.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return false;
      fail("remove", key, errno);
    }
    // Directories the key made, now empty, go too (rmdir refuses one that is not).
    for (fs::path dir = p.parent_path(); dir != root_ && ::rmdir(dir.c_str()) == 0;) dir = dir.parent_path();
    return true;
  }

  std::vector<std::string> do_list_objects(std::string_view prefix) override {
    // Only the directory the prefix names is walked: "cats/sm" walks cats/.
    // A prefix whose directory no key can be in ("../", "/etc/") lists nothing.
    const auto slash = prefix.rfind('/');
    std::vector<std::string> keys;
    if (slash != std::string_view::npos && !refusal(prefix.substr(0, slash)).empty()) return keys;
    const fs::path start =
        slash == std::string_view::npos ? root_ : root_ / fs::path(prefix.substr(0, slash));
    std::error_code ec;
    if (!fs::is_directory(start, ec)) return keys;
    fs::recursive_directory_iterator it(start, ec);
    const fs::recursive_directory_iterator end;
    if (ec) fail("list", prefix, ec.value());
    for (; it != end; it.increment(ec)) {
      if (ec) fail("list", prefix, ec.value());
      if (it->path().filename().string().starts_with(kTempPrefix) || !it->is_regular_file(ec)) continue;
      std::string key = it->path().lexically_relative(root_).generic_string();
      if (key.starts_with(prefix)) keys.push_back(std::move(key));
    }
    if (ec) fail("list", prefix, ec.value());
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  // The file of `key`; a key that is not a plain relative path is an error (`refusal`).
  [[nodiscard]] fs::path path_of(std::string_view key) const {
    if (const std::string_view why = refusal(key); !why.empty()) {
      throw BindingError(where() + ": key " + quoted(key) + ": " + std::string(why));
    }
    return root_ / fs::path(key);
  }

  // Why `key` cannot be a key (empty: it can): keys are relative paths without an empty,
  // "." or ".." segment, NUL or a temporary file's name, so nothing outside the root is
  // reachable by one.
  [[nodiscard]] static std::string_view refusal(std::string_view key) noexcept {
    if (key.empty()) return "empty (a key names an object: cats/1.png)";
    if (key.find('\0') != std::string_view::npos) return "a NUL byte";
    if (key.front() == '/') return "absolute (keys are relative paths: cats/1.png)";
    for (std::size_t at = 0; at <= key.size();) {
      std::size_t end = key.find('/', at);
      if (end == std::string_view::npos) end = key.size();
      const std::string_view segment = key.substr(at, end - at);
      if (segment.empty()) return "an empty segment (a//b or a trailing /)";
      if (segment == "." || segment == "..") return "a . or .. segment";
      if (segment.starts_with(kTempPrefix)) return "the name of a put's temporary file";
      at = end + 1;
    }
    return {};
  }

  [[nodiscard]] std::string where() const { return "binding '" + name_ + "' (fs, " + root_.string() + ")"; }

  [[noreturn]] void fail(std::string_view operation, std::string_view key, int error) const {
    throw BindingError(where() + ": " + std::string(operation) + " " + quoted(key) + ": " +
                       std::strerror(error));
  }

  std::string name_;
  fs::path root_;
};

}  // namespace

Result<std::shared_ptr<Binding>> make_fs(const BindingSpec& spec) {
  if (spec.path.empty()) {
    return Error{spec.origin + ": spec.dataBindings." + spec.name + ": binding '" + spec.name +
                 "' of kind 'fs' needs a path (the directory its objects live in)"};
  }
  const fs::path p = fs::path(spec.path).is_absolute() ? fs::path(spec.path) : spec.base_dir / spec.path;
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec || !fs::is_directory(p)) {
    return Error{spec.origin + ": binding '" + spec.name + "' (fs, " + p.string() +
                 "): not a directory it can use: " + (ec ? ec.message() : "a file is there")};
  }
  if (::access(p.c_str(), R_OK | W_OK | X_OK) != 0) {
    return Error{spec.origin + ": binding '" + spec.name + "' (fs, " + p.string() +
                 "): " + std::strerror(errno)};
  }
  return std::shared_ptr<Binding>(std::make_shared<FsObjectStore>(spec.name, p.lexically_normal()));
}

}  // namespace nimbus::engine::bindings
