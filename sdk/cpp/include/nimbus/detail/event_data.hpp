#pragma once
/// @file
/// `EventData`: an owning description of an event, and its encoding, for
/// triggers, event files and tapes. Private to Nimbus: a handler sees only the
/// `nimbus::Event` view of the encoding (tests build events with
/// `nimbus::testing::EventBuilder`).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/event.hpp"

namespace nimbus::detail {

/// Everything an event carries, as owned values. Triggers, event files and
/// tapes fill one in and encode it; a handler only ever sees the `Event`
/// view of the encoding.
struct EventData {
  std::string id;
  std::string trigger_kind;
  std::string trigger_name;
  std::string content_type;
  std::string method;
  std::string path;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  std::chrono::system_clock::time_point timestamp{};

  // CloudEvents attributes; all empty when the event is not a CloudEvent.
  std::string ce_type;
  std::string ce_source;
  std::string ce_spec_version;
  std::string ce_subject;
  std::string ce_time;
  std::string ce_data_schema;
  std::vector<std::pair<std::string, std::string>> ce_extensions;

  // Stream position, when `has_stream`.
  bool has_stream = false;
  std::string topic;
  std::int64_t partition = 0;  // the shard id
  std::int64_t num_shards = 0;
  std::int64_t offset = 0;
  bool last_in_batch = false;

  /// Equal in every attribute.
  friend bool operator==(const EventData&, const EventData&) = default;

  /// The number of bytes `encode_to` writes; throws `std::length_error` when
  /// the event does not fit the 32-bit offsets of the layout.
  [[nodiscard]] std::size_t encoded_size() const;
  /// Writes the encoding into `out`, which holds `encoded_size()` bytes.
  void encode_to(std::span<std::byte> out) const noexcept;
  /// The encoding in a new buffer.
  [[nodiscard]] std::vector<std::byte> encode() const;
};

/// The same parts as `EventData`, as views into someone else's buffers: a
/// trigger encodes an event straight from its own parsed request with no
/// strings built first. The views must stay valid until `encode_to` returns.
struct EventParts {
  using Pair = std::pair<std::string_view, std::string_view>;
  std::string_view id;
  std::string_view trigger_kind;
  std::string_view trigger_name;
  std::string_view content_type;
  std::string_view method;
  std::string_view path;
  std::string_view url;
  std::span<const Pair> headers;
  std::span<const Pair> fields;
  std::string_view body;
  std::chrono::system_clock::time_point timestamp{};
  std::string_view ce_type;
  std::string_view ce_source;
  std::string_view ce_spec_version;
  std::string_view ce_subject;
  std::string_view ce_time;
  std::string_view ce_data_schema;
  std::span<const Pair> ce_extensions;
  bool has_stream = false;
  std::string_view topic;
  std::int64_t partition = 0;
  std::int64_t num_shards = 0;
  std::int64_t offset = 0;
  bool last_in_batch = false;

  /// The encoded size in bytes (throws std::length_error past 4 GiB).
  [[nodiscard]] std::size_t encoded_size() const;
  /// Encodes into `out`, which must be exactly `encoded_size()` bytes.
  void encode_to(std::span<std::byte> out) const noexcept;
  /// Encodes into `buffer` (resized to fit; a trigger reuses one) and returns
  /// the view of it, unchecked since this encoder wrote it: valid until
  /// `buffer` changes. Throws std::length_error past 4 GiB.
  [[nodiscard]] Event encode_into(std::vector<std::byte>& buffer) const;
};

/// Copies an encoded event back into owned values.
EventData to_event_data(const Event& event);

/// An encoded event with the buffer it lives in: an `Event` you can keep.
class EventBuffer {
 public:
  /// Encodes `data`.
  explicit EventBuffer(const EventData& data);
  EventBuffer(const EventBuffer& other);
  EventBuffer& operator=(const EventBuffer& other);
  EventBuffer(EventBuffer&&) noexcept = default;
  EventBuffer& operator=(EventBuffer&&) noexcept = default;
  ~EventBuffer() = default;

  /// The view; valid while this buffer lives.
  [[nodiscard]] const Event& event() const noexcept { return event_; }
  // NOLINTNEXTLINE(google-explicit-constructor): a buffer is usable where an Event is
  operator const Event&() const noexcept { return event_; }

 private:
  std::vector<std::byte> bytes_;
  Event event_;
};

}  // namespace nimbus::detail
