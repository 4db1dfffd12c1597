#include "file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "console_sink.hpp"

namespace nimbus::engine::logging {

namespace fs = std::filesystem;

Result<std::unique_ptr<FileSink>> FileSink::open(fs::path path, std::uint64_t max_bytes, int max_files,
                                                 LineFormat format) {
  std::unique_ptr<FileSink> sink(new FileSink(std::move(path), max_bytes, max_files, format));
  std::error_code ec;
  if (sink->path_.has_parent_path()) fs::create_directories(sink->path_.parent_path(), ec);
  if (!sink->reopen())
    return Error{sink->path_.string() + ": cannot open for appending: " + std::strerror(errno)};
  return sink;
}

FileSink::~FileSink() {
  flush();
  if (fd_ >= 0) ::close(fd_);
}

bool FileSink::reopen() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return false;
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return true;
}

void FileSink::rotate() noexcept {
  const std::string base = path_.string();
  auto numbered = [&](int n) { return base + "." + std::to_string(n); };
  if (max_files_ == 0) {
    ::unlink(base.c_str());
  } else {
    ::unlink(numbered(max_files_).c_str());
    for (int n = max_files_ - 1; n >= 1; --n) std::rename(numbered(n).c_str(), numbered(n + 1).c_str());
    std::rename(base.c_str(), numbered(1).c_str());
  }
  (void)reopen();
}

void FileSink::write(const LogEntry& e) {
  line_.clear();
  append_line(line_, e, format_);
  // The line goes in the next file when it would take this one past its size; a line larger
  // than a whole file still goes in one (a file holds at least one line).
  if (size_ + buffer_.size() + line_.size() > max_bytes_ && size_ + buffer_.size() > 0) {
    flush();
    rotate();
  }
  buffer_ += line_;
  ++buffered_lines_;
}

void FileSink::flush() noexcept {
  if (buffer_.empty()) return;
  if (fd_ >= 0 && write_all(fd_, buffer_)) {
    size_ += buffer_.size();
  } else {
    dropped_ += buffered_lines_;  // the disk is full, the file went away: the events go on
    if (fd_ < 0) (void)reopen();  // the next flush tries again
  }
  buffer_.clear();
  buffered_lines_ = 0;
}

Result<std::unique_ptr<LogEntrySink>> make_file_sink(const LogSinkSpec& spec) {
  const Attributes a{spec.attributes, spec.origin};
  auto path = string_attribute(a, "path", "");
  if (!path) return path.error();
  if (path->empty())
    return Error{spec.origin + ".path: a file sink needs the file to write (path: logs/function.log)"};
  auto max_bytes = integer_attribute(a, "maxBytes", 10LL << 20, 1024, 1LL << 50);
  if (!max_bytes) return max_bytes.error();
  auto max_files = integer_attribute(a, "maxFiles", 5, 0, 1000);
  if (!max_files) return max_files.error();
  auto format = line_format(a);
  if (!format) return format.error();
  const fs::path p =
      fs::path(*path).is_absolute() || spec.base_dir.empty() ? fs::path(*path) : spec.base_dir / *path;
  auto sink =
      FileSink::open(p, static_cast<std::uint64_t>(*max_bytes), static_cast<int>(*max_files), *format);
  if (!sink) return Error{spec.origin + ": " + sink.error().message};
  return std::unique_ptr<LogEntrySink>(std::move(*sink));
}

}  // namespace nimbus::engine::logging
