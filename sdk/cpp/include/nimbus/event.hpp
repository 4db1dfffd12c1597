#pragma once
/// @file
/// `nimbus::Event`: what a handler receives.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "nimbus/detail/event_layout.hpp"
#include "nimbus/json.hpp"
#include "nimbus/result.hpp"

namespace nimbus {

namespace detail {
class EventBuffer;
struct EventParts;
}  // namespace detail

/// Name/value pairs of an event (headers, fields, CloudEvents extensions),
/// iterated in their original order.
class EventPairs {
 public:
  /// A name and its value.
  using Pair = std::pair<std::string_view, std::string_view>;
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Pair;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Pair;
    iterator() = default;
    iterator(const EventPairs* owner, std::uint32_t i) : owner_(owner), i_(i) {}
    Pair operator*() const { return owner_->at(i_); }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      auto copy = *this;
      ++i_;
      return copy;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    const EventPairs* owner_ = nullptr;
    std::uint32_t i_ = 0;
  };
  EventPairs(const char* base, std::uint32_t table_offset, std::uint32_t count)
      : base_(base), table_offset_(table_offset), count_(count) {}
  [[nodiscard]] iterator begin() const { return {this, 0}; }
  [[nodiscard]] iterator end() const { return {this, count_}; }
  [[nodiscard]] std::size_t size() const { return count_; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  /// The i-th pair; `i < size()`.
  [[nodiscard]] Pair at(std::uint32_t i) const;
  /// The value of the first pair whose name matches, ignoring ASCII case.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const;

 private:
  const char* base_;
  std::uint32_t table_offset_;
  std::uint32_t count_;
};

/// CloudEvents 1.0 context attributes, present when the event came as a
/// CloudEvent (binary, structured or batch mode over HTTP, or an event file's
/// `cloudEvent`). The event's `id()` is the CloudEvent's `id` and its body
/// is the `data` (`data_base64` decoded).
struct CloudEvent {
  std::string_view id;
  std::string_view source;
  std::string_view type;
  std::string_view specversion;
  std::string_view subject;          ///< empty when absent
  std::string_view time;             ///< RFC 3339, empty when absent
  std::string_view datacontenttype;  ///< the event's content type; empty when absent
  std::string_view dataschema;       ///< a URI, empty when absent
  EventPairs extensions;             ///< extension attributes, by name, as text
};

/// Where a stream event came from.
struct StreamPosition {
  std::string_view topic;       ///< the topic, subject or stream
  std::int64_t shard_id = 0;    ///< the partition
  std::int64_t num_shards = 0;  ///< partitions of the topic; 0 when the source does not say
  std::int64_t offset = 0;
};

/// A read-only, zero-copy view of one event.
///
/// Every trigger, event file and tape turns into the same flat encoding; an
/// `Event` reads it in place, so the strings it returns live as long as the
/// buffer it views (for a handler: the whole invocation).
///
/// ```cpp
/// auto name = event.header("X-Name").value_or("world");   // case-insensitive
/// if (event.content_type() == "application/json") {
///   nimbus::Json body = event.json();
/// }
/// ```
class Event {
 public:
  /// A name/value pair: a header or a field.
  using Pair = EventPairs::Pair;
  using Pairs = EventPairs;

  /// Views an encoded event after checking that every offset lies inside
  /// `bytes`. The bytes must outlive the returned `Event`.
  static Result<Event> from_bytes(std::span<const std::byte> bytes) noexcept;

  /// The event's id (unique per source; deterministic for event files).
  [[nodiscard]] std::string_view id() const { return str(detail::kId); }
  /// The kind of trigger that produced it: "http", "file", "cron", "nats", ...
  [[nodiscard]] std::string_view trigger_kind() const { return str(detail::kTriggerKind); }
  /// The trigger's name in function.yaml.
  [[nodiscard]] std::string_view trigger_name() const { return str(detail::kTriggerName); }
  /// The body's media type, e.g. "application/json"; may be empty.
  [[nodiscard]] std::string_view content_type() const { return str(detail::kContentType); }

  /// The body's bytes, as text.
  [[nodiscard]] std::string_view body() const { return str(detail::kBody); }
  /// The body's bytes.
  [[nodiscard]] std::span<const std::byte> body_bytes() const;
  /// The body parsed as JSON; throws `Json::parse_error` when it is not JSON.
  [[nodiscard]] Json json() const;

  /// A header's value, looked up ignoring ASCII case.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const {
    return headers().find(name);
  }
  /// All headers in their original order.
  [[nodiscard]] Pairs headers() const { return {base_, h_.pairs_offset, h_.header_count}; }
  /// A field (query parameter) by name, ignoring ASCII case.
  [[nodiscard]] std::optional<std::string_view> field(std::string_view name) const {
    return fields().find(name);
  }
  /// All fields (query parameters) in their original order.
  [[nodiscard]] Pairs fields() const;

  /// The HTTP method ("GET", ...); empty for non-HTTP events.
  [[nodiscard]] std::string_view method() const { return str(detail::kMethod); }
  /// The request path, without the query string.
  [[nodiscard]] std::string_view path() const { return str(detail::kPath); }
  /// The full request URL or target as received.
  [[nodiscard]] std::string_view url() const { return str(detail::kUrl); }
  /// When the event was produced.
  [[nodiscard]] std::chrono::system_clock::time_point timestamp() const;

  /// CloudEvents attributes, when the event has a `specversion`.
  [[nodiscard]] std::optional<CloudEvent> cloud_event() const;
  /// The stream position, for events from a stream.
  [[nodiscard]] std::optional<StreamPosition> stream() const;
  /// The W3C trace context the event brought (`00-<trace id>-<parent id>-<flags>`): its
  /// `traceparent` header (an HTTP header, a message header), else its CloudEvent's
  /// `traceparent` extension; empty when it has none or the value is malformed.
  [[nodiscard]] std::string_view trace_parent() const;
  /// The W3C trace id of that traceparent (32 hex digits), as log records carry it; empty: none.
  [[nodiscard]] std::string_view trace_id() const {
    const std::string_view t = trace_parent();  // well formed, or empty
    return t.empty() ? t : t.substr(3, 32);
  }

  // nuclio's names for the same facts (its SDKs' `Event`), for functions ported from it.

  /// The topic, subject or stream the event came from; empty when not from a stream.
  [[nodiscard]] std::string_view topic() const { return str(detail::kTopic); }
  /// The partition it came from (0 when not from a stream).
  [[nodiscard]] std::int64_t shard_id() const { return h_.partition; }
  /// Partitions of its topic; 0 when the source does not say.
  [[nodiscard]] std::int64_t num_shards() const { return h_.num_shards; }
  /// Its offset in its partition or stream (0 when not from a stream).
  [[nodiscard]] std::int64_t offset() const { return h_.offset; }
  /// True for the last event of the batch its source delivered it in.
  [[nodiscard]] bool last_in_batch() const { return (h_.flags & detail::kEventLastInBatch) != 0; }
  /// The event's type: a CloudEvent's `type`, else empty.
  [[nodiscard]] std::string_view type() const { return str(detail::kCeType); }
  /// The type's version: always empty (CloudEvents 1.0 has none; nuclio's SDK has the field).
  [[nodiscard]] std::string_view type_version() const { return {}; }
  /// The event format's version: a CloudEvent's `specversion`, else empty.
  [[nodiscard]] std::string_view version() const { return str(detail::kCeSpecVersion); }

  /// The encoded bytes this event views.
  [[nodiscard]] std::span<const std::byte> bytes() const {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): char and byte views of one buffer
    return {reinterpret_cast<const std::byte*>(base_), h_.total_size};
  }

 private:
  friend class detail::EventBuffer;
  friend struct detail::EventParts;
  Event() = default;
  // Views bytes that Nimbus's own encoder just wrote: nothing to check.
  static Event of_encoding(std::span<const std::byte> bytes) noexcept;
  [[nodiscard]] std::string_view str(detail::StrIndex i) const {
    return {base_ + h_.strings[i].offset, h_.strings[i].length};
  }

  detail::EventHeader h_{};
  const char* base_ = nullptr;
};

}  // namespace nimbus
