#pragma once
/// @file
/// Tapes: what a function saw and did, one invocation per line
/// (docs/tape-format.md). Written and read as streams, in constant memory.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nimbus/event.hpp"
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
  std::vector<std::string> redacted_headers;
  [[nodiscard]] Json to_json() const;
};

/// One invocation: the event, the binding calls and log records in order,
/// the response, and how long the handler took. Held as JSON: a tape is an
/// edge of the system, read by people and tools.
struct TapeRecord {
  std::uint64_t seq = 0;
  Json event = Json::object();     ///< an event file object (docs/event-files.md)
  Json calls = Json::array();      ///< [{binding, operation, arguments, result | error}]
  Json logs = Json::array();       ///< [{level, message, fields, logger}]
  Json response = Json::object();  ///< {status, contentType, headers, body | bodyBase64}
  double duration_ms = 0;
  [[nodiscard]] Json to_json() const;
};

/// What is hidden when a tape is written.
struct Redaction {
  /// Header names (any case) whose values become "[REDACTED]".
  std::vector<std::string> headers = {"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
                                      "X-Api-Key"};
  /// Secret values (from the environment) replaced by "[REDACTED]" wherever
  /// they appear in bodies, headers, log records and binding calls.
  std::vector<std::string> secrets;
};

/// The placeholder for what was redacted.
inline constexpr const char* kRedacted = "[REDACTED]";

/// An event as an event-file object: `nimbus run --event` reads it back.
Json event_to_json(const Event& event);
/// A response as a tape's JSON; text bodies as text, others in base64.
Json response_to_json(const Response& response);
/// A log record as a tape's JSON (without its time).
Json log_to_json(const LogRecord& record);

/// Writes a tape, a line at a time; redacts before writing.
class TapeWriter {
 public:
  static Result<std::unique_ptr<TapeWriter>> open(const std::filesystem::path& path, TapeHeader header,
                                                  Redaction redaction) noexcept;
  /// Appends one record (redacted) and flushes it.
  void write(TapeRecord record);
  [[nodiscard]] std::uint64_t written() const noexcept { return written_; }

 private:
  TapeWriter() = default;
  void redact(Json& j) const;
  std::ofstream out_;
  Redaction redaction_;
  std::uint64_t written_ = 0;
};

/// Reads a tape a line at a time. A line that cannot be read is an error
/// naming the tape and its line number; reading can go on after it.
class TapeReader {
 public:
  /// Opens it and reads the header; refuses a tape from a newer format.
  static Result<std::unique_ptr<TapeReader>> open(const std::filesystem::path& path) noexcept;
  [[nodiscard]] const TapeHeader& header() const noexcept { return header_; }
  /// The next record, an error for an unreadable line, or nothing at the end.
  std::optional<Result<TapeRecord>> next();
  /// The line number of what `next` returned last.
  [[nodiscard]] std::size_t line() const noexcept { return line_; }

 private:
  TapeReader() = default;
  std::ifstream in_;
  std::string name_;
  TapeHeader header_;
  std::size_t line_ = 0;
};

}  // namespace nimbus::recorder
