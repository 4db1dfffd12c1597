#pragma once
// The messages on a worker channel's rings (docs/wire-protocol.md, "Worker
// messages"). Writers loan ring space and write in place; readers view
// payloads in place and check every length against the payload first.

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../shm/ring.hpp"
#include "nimbus/format/record.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/metrics.hpp"
#include "nimbus/platform.hpp"
#include "nimbus/response.hpp"

namespace nimbus::engine::workers {

enum MessageType : std::uint32_t {
  kRequest = 1,     // processor -> worker: RequestHeader, then an encoded event
  kResponse = 2,    // worker -> processor: ResponseHeader, headers, content type, body
  kLog = 3,         // worker -> processor: LogHeader, message, fields (JSON), logger name, event id, trace id
  kReady = 4,       // worker -> processor: the function is loaded and initialised
  kInitFailed = 5,  // worker -> processor: why it could not start (text)
  kShutdown = 6,    // processor -> worker: finish what is queued and exit
  // 7 was a binding call report (channel version 3)
  kRecordPart = 8,  // worker -> processor: RecordHeader, then (a part of) the invocation's record text
  kStreamAck = 9,   // worker -> processor: StreamAckHeader, then the topic (ctx.platform().explicit_ack)
  kMetrics = 10,    // worker -> processor: every series of ctx.metrics() (write_metrics), when they changed
};

// RequestHeader::flags
enum RequestFlags : std::uint32_t {
  kRecord = 1U,        // after the response, the worker sends the invocation's record (kRecordPart)
  kAnswerCalls = 2U,   // answer binding calls from the recorded calls that follow the header
  kLenientCalls = 4U,  // with kAnswerCalls: a call not recorded goes to the binding instead of failing
};

struct RequestHeader {
  std::uint64_t request_id;
  std::int64_t deadline_ns;  // CLOCK_MONOTONIC
  std::uint32_t flags;       // RequestFlags
  std::uint32_t calls_size;  // bytes of recorded calls (a JSON array) between the header and the event
};

struct ResponseHeader {
  std::uint64_t request_id;
  std::int32_t status;
  std::uint32_t header_count;
  std::uint32_t content_type_size;
  std::uint32_t body_size;
  std::uint32_t reserved;
};

// Before each part of a record's text (kRecordPart). The text is a tape
// line after its `seq` member (format::append_record_rest); one too large
// for a message goes in several, in order, all but the last with kMore.
struct RecordHeader {
  static constexpr std::uint32_t kMore = 1U;
  std::uint64_t request_id;
  std::uint64_t handler_ns;  // how long the handler ran
  std::uint32_t flags;       // kMore
  std::uint32_t text_size;   // the whole text's bytes (every part's)
  std::uint32_t event_size;  // the four JSON texts inside it (format::RecordParts)
  std::uint32_t calls_size;
  std::uint32_t logs_size;
  std::uint32_t response_size;
};

struct StreamAckHeader {
  std::int64_t partition;
  std::int64_t offset;
};

struct LogHeader {
  std::uint64_t request_id;
  std::int64_t time_ns;  // when the function logged it: system clock, ns since the epoch
  std::uint32_t level;
  std::uint32_t message_size;
  std::uint32_t fields_size;
  std::uint32_t logger_size;
  std::uint32_t event_id_size;  // the id of the event being handled (none for the init hook's)
  std::uint32_t trace_id_size;  // the W3C trace id of its traceparent, when it brought one
};

/// A response read in place from the ring; valid until the message is released.
struct ResponseView {
  std::uint64_t request_id = 0;
  int status = 0;
  std::string_view content_type;
  std::string_view body;
  std::span<const std::byte> headers;  // header_count × (u32 name size, u32 value size, name, value)
  std::uint32_t header_count = 0;

  /// Copies it into a `Response`.
  [[nodiscard]] Response to_response() const;
  /// Copies it over `r`, reusing `r`'s storage.
  void copy_to(Response& r) const;
};

/// A log record read in place from the ring.
struct LogView {
  std::uint64_t request_id = 0;
  LogLevel level = LogLevel::kInfo;
  std::string_view message;
  std::string_view fields_json;
  std::string_view logger;
  std::chrono::system_clock::time_point time;  // when the function logged it
  std::string_view event_id;
  std::string_view trace_id;

  /// Copies it into a `LogRecord`.
  [[nodiscard]] LogRecord to_record() const;
};

/// A part of a record read in place from the ring.
struct RecordPartView {
  RecordHeader header{};
  std::string_view text;
};

/// A request read in place from the ring.
struct RequestView {
  RequestHeader header{};
  std::string_view calls_json;       // the recorded calls, with kAnswerCalls
  std::span<const std::byte> event;  // the encoded event
};

/// Bytes a request message needs.
std::size_t request_size(std::size_t event_size, std::string_view calls_json) noexcept;
/// Writes a request into `out` (of `request_size` bytes).
void write_request(std::span<std::byte> out, const RequestHeader& h, std::string_view calls_json,
                   std::span<const std::byte> event) noexcept;
/// Reads a request message; nothing when its lengths do not add up.
std::optional<RequestView> read_request(std::span<const std::byte> payload) noexcept;

/// Bytes a response message needs.
std::size_t response_size(const Response& r) noexcept;
/// Writes `r` into `out` (of `response_size(r)` bytes).
void write_response(std::span<std::byte> out, std::uint64_t request_id, const Response& r) noexcept;
/// Reads a response message; nothing when its lengths do not add up.
std::optional<ResponseView> read_response(std::span<const std::byte> payload) noexcept;
/// Reads a record part message; nothing when its lengths do not add up.
std::optional<RecordPartView> read_record_part(std::span<const std::byte> payload) noexcept;
/// Reads a log message; nothing when its lengths do not add up.
std::optional<LogView> read_log(std::span<const std::byte> payload) noexcept;
/// A kMetrics message's payload for `samples`: u32 count, then for each series
/// u8 kind, u32 name size, u32 labels size, name, labels, then a counter's or
/// gauge's f64 value, or a histogram's u32 bounds, f64 bounds, u64 buckets
/// (bounds + 1), f64 sum, u64 count (host byte order: both ends are one machine).
void write_metrics(std::string& out, std::span<const MetricSample> samples);
/// Reads a kMetrics message; nothing when its lengths do not add up.
std::optional<std::vector<MetricSample>> read_metrics(std::span<const std::byte> payload);
/// A kStreamAck message's offset.
std::optional<QualifiedOffset> read_stream_ack(std::span<const std::byte> payload);

}  // namespace nimbus::engine::workers
