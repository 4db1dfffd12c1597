#pragma once
/// @file
/// Tapes: what a function saw and did, one invocation per line
/// (docs/tape-format.md). Written and read as streams, in constant memory.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nimbus/bindings.hpp"
#include "nimbus/event.hpp"
#include "nimbus/format/record.hpp"
#include "nimbus/json.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::recorder {

/// The tape format this build writes, and the newest it reads.
inline constexpr int kTapeFormat = 1;

/// The first line of a tape.
struct TapeHeader {
  int format = kTapeFormat;
  std::string function_name;
  std::string function_version;
  std::string created;  ///< RFC 3339, when recording started
  std::string source;   ///< "emulator" or "engine"
  /// The lowest level of log records recorded ("debug" ... "error"): a
  /// replay compares the logs at that level, unless told otherwise.
  std::string log_level = "debug";
  std::vector<std::string> redacted_headers;
  [[nodiscard]] Json to_json() const;
};

/// What is hidden when a tape is written.
struct Redaction {
  /// Header names (any case) whose values become "[REDACTED]".
  std::vector<std::string> headers = {"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
                                      "X-Api-Key"};
  /// Secret values (from the environment) replaced by "[REDACTED]" wherever
  /// they appear in strings: bodies, headers, log records and binding calls.
  std::vector<std::string> secrets;
};

/// Writes a tape, a line at a time; redacts before writing. Lines are
/// buffered: `flush` writes them out (the destructor does too).
class TapeWriter {
 public:
  /// Who makes the write system calls: the caller (`flush`), or a thread of
  /// the writer's own that is handed full buffers (the engine: the
  /// processor's thread never waits on the file system).
  enum class Writes { kCaller, kBackground };
  static Result<std::unique_ptr<TapeWriter>> open(const std::filesystem::path& path, TapeHeader header,
                                                  Redaction redaction,
                                                  Writes writes = Writes::kCaller) noexcept;
  TapeWriter(const TapeWriter&) = delete;
  TapeWriter& operator=(const TapeWriter&) = delete;
  ~TapeWriter();
  /// Appends one record, its secrets redacted (its headers were, by `format::RecordText`).
  void write(const format::RecordParts& record, double duration_ms);
  void write(const format::RecordText& record, double duration_ms) { write(record.parts(), duration_ms); }
  /// Appends one record from the text after its `seq` member (a worker's
  /// `engine::WorkerRecord::text`), its secrets redacted.
  void write_rest(std::string_view rest);
  /// Writes out what is buffered (and waits for the background writes); false
  /// (with `error()`) when the disk refuses.
  bool flush() noexcept;
  /// Writes out (or hands over) when much is buffered or the last flush was a while ago.
  void flush_if_due() noexcept;
  /// Writes out (or hands over) only when a buffer's worth is waiting: no clock read, for every record.
  void hand_over_if_full() noexcept;
  [[nodiscard]] std::uint64_t written() const noexcept { return written_; }
  [[nodiscard]] const Redaction& redaction() const noexcept { return redaction_; }
  /// True once a write has failed (cheap: for every idle moment).
  [[nodiscard]] bool failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
  /// Why writing failed; empty while all is well.
  [[nodiscard]] std::string error() const;

 private:
  TapeWriter() = default;
  void redact_line(std::size_t line_start);           // the secrets in buffer_'s last line
  bool write_out(const std::string& bytes) noexcept;  // the system calls
  bool fail(int error) noexcept;                      // records why writing failed; false
  void hand_over();                                   // background: queue buffer_ for the thread
  void write_buffer() noexcept;                       // hands over or writes out buffer_
  static constexpr std::size_t kBufferBytes = std::size_t{64} << 10;
  void background_loop();
  int fd_ = -1;
  std::string path_;
  Redaction redaction_;
  std::string buffer_;
  std::uint64_t written_ = 0;
  std::chrono::steady_clock::time_point last_flush_;
  mutable std::mutex mutex_;  // guards what follows
  std::string error_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<std::string> full_;    // handed over, not yet written
  std::vector<std::string> spare_;  // written buffers, reused
  bool writing_ = false;
  bool stopping_ = false;
  std::atomic<bool> failed_{false};
  std::thread thread_;  // with Writes::kBackground
};

/// Replaces each secret inside the JSON string literals of `json_text` with
/// "[REDACTED]" (never in keys' syntax or numbers). Secrets under 4
/// characters are left alone: they would hide ordinary text.
void redact_secrets(std::string& json_text, const std::vector<std::string>& secrets);

/// Reads a tape a line at a time. A line that cannot be read is an error
/// naming the tape and its line number; reading can go on after it.
class TapeReader {
 public:
  /// Opens it and reads the header; refuses a tape from a newer format.
  static Result<std::unique_ptr<TapeReader>> open(const std::filesystem::path& path) noexcept;
  [[nodiscard]] const TapeHeader& header() const noexcept { return header_; }
  /// The next record, an error for a line that is not a record, or nothing at the end.
  std::optional<Result<format::TapeLine>> next();
  /// The line number of what `next` returned last.
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  /// Bytes read so far, and the tape's size (for progress).
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

 private:
  TapeReader() = default;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t size_ = 0;
  std::ifstream in_;
  std::string name_;
  TapeHeader header_;
  std::size_t line_ = 0;
};

}  // namespace nimbus::recorder
