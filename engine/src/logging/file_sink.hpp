#pragma once
// The file log sink (kind `file`): one line per record (line_format.hpp) appended to `path`
// (relative to the function's folder), rotated by size: when a line would take the file past
// `maxBytes`, path.N-1 becomes path.N ... path becomes path.1 and a new path is begun, keeping
// `maxFiles` old files. Buffered and written once per loop iteration; a file that cannot be
// written drops the lines and counts them, and the events go on.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "line_format.hpp"
#include "nimbus/engine/log_sink.hpp"

namespace nimbus::engine::logging {

class FileSink final : public LogEntrySink {
 public:
  /// Opens (or creates) `path` for appending.
  static Result<std::unique_ptr<FileSink>> open(std::filesystem::path path, std::uint64_t max_bytes,
                                                int max_files, LineFormat format);
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  ~FileSink() override;

  void write(const LogEntry& e) override;
  void flush() noexcept override;

  /// Lines that could not be written.
  [[nodiscard]] std::uint64_t dropped() const noexcept override { return dropped_; }

 private:
  FileSink(std::filesystem::path path, std::uint64_t max_bytes, int max_files, LineFormat format)
      : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files), format_(format) {}
  // Opens path_ for appending; false when it cannot (the lines are then dropped).
  bool reopen() noexcept;
  // path.N-1 -> path.N ... path -> path.1, then a new path.
  void rotate() noexcept;

  std::filesystem::path path_;
  std::uint64_t max_bytes_;
  int max_files_;
  LineFormat format_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // of the file now, what is buffered not included
  std::string buffer_;      // lines not yet written
  std::uint64_t buffered_lines_ = 0;
  std::uint64_t dropped_ = 0;
  std::string line_;  // reused
};

/// The factory registered as `file`.
Result<std::unique_ptr<LogEntrySink>> make_file_sink(const LogSinkSpec& spec);

}  // namespace nimbus::engine::logging
