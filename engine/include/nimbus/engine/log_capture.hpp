#pragma once
/// @file
/// One invocation's logs returned with its response: a request header
/// `X-Nimbus-Log-Level: debug` (or nuclio's `X-Nuclio-Log-Level`) captures
/// the records the handler writes at that level and above, whatever the
/// worker's own level, and the response carries them as a JSON array in
/// `X-Nimbus-Logs` (Nimbus's record shape, without times) or `X-Nuclio-Logs`
/// (nuclio processor's shape: `{"level","time","name","message",<fields>}`).
/// The worker's own sink still gets the records at its own level. Used by
/// the emulator and by workers, for C++ and Python functions alike.

#include <nimbus/context.hpp>
#include <nimbus/event.hpp>
#include <nimbus/logger.hpp>
#include <nimbus/response.hpp>
#include <optional>
#include <string>

#include "nimbus/format/log_json.hpp"

namespace nimbus::engine {

inline constexpr const char* kLogLevelHeader = "X-Nimbus-Log-Level";
inline constexpr const char* kNuclioLogLevelHeader = "X-Nuclio-Log-Level";
inline constexpr const char* kLogsHeader = "X-Nimbus-Logs";
inline constexpr const char* kNuclioLogsHeader = "X-Nuclio-Logs";

/// Captures one invocation's logs when its event asks for them (else does
/// nothing); the context's logger is restored when it goes.
class InvocationLogs final : public LogSink {
 public:
  InvocationLogs(Context& ctx, const Event& event);
  ~InvocationLogs() override;
  InvocationLogs(const InvocationLogs&) = delete;
  InvocationLogs& operator=(const InvocationLogs&) = delete;
  InvocationLogs(InvocationLogs&&) = delete;
  InvocationLogs& operator=(InvocationLogs&&) = delete;

  /// True when the event asked for its logs.
  [[nodiscard]] bool active() const noexcept { return saved_.has_value(); }
  /// Adds the header with the captured records to `response` (when active).
  void finish(Response& response) const;

  void write(const LogRecord& record) override;

  /// The most header text the records take (about 16 KiB); records past it
  /// are counted in a last record instead.
  static constexpr std::size_t kMaxHeaderBytes = std::size_t{16} << 10;

 private:
  [[nodiscard]] format::LogJsonStyle style() const;
  Context& ctx_;
  std::optional<Logger> saved_;  // the context's logger while capturing
  std::string header_;           // X-Nimbus-Logs or X-Nuclio-Logs
  std::string records_;          // the JSON array's items
  std::string fields_;           // a record's fields as JSON text, reused
  bool nuclio_ = false;          // X-Nuclio-Log-Level: nuclio's record shape
  LogLevel capture_level_ = LogLevel::kDebug;
  std::size_t dropped_ = 0;
};

}  // namespace nimbus::engine
