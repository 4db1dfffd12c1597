#pragma once
/// @file
/// The flat binary layout of an event (see docs/wire-protocol.md).
/// Private to Nimbus: function authors use `nimbus::Event`.

#include <cstdint>

namespace nimbus::detail {

/// "NBEV" read as a little-endian 32-bit word.
inline constexpr std::uint32_t kEventMagic = 0x5645424EU;
inline constexpr std::uint16_t kEventLayoutVersion = 2;
/// Flag bit: the event carries a stream position.
inline constexpr std::uint16_t kEventHasStream = 1U << 0U;
/// Flag bit: the last event of the batch its source delivered it in.
inline constexpr std::uint16_t kEventLastInBatch = 1U << 1U;

/// A string inside an encoded event: offset from the event's first byte, length.
struct StrRef {
  std::uint32_t offset;
  std::uint32_t length;
};

/// A header or field: name and value.
struct PairRef {
  StrRef name;
  StrRef value;
};

/// Indexes into `EventHeader::strings`.
enum StrIndex : std::uint32_t {
  kId,
  kTriggerKind,
  kTriggerName,
  kContentType,
  kMethod,
  kPath,
  kUrl,
  kCeType,
  kCeSource,
  kCeSpecVersion,
  kCeSubject,
  kCeTime,
  kCeDataSchema,
  kTopic,
  kBody,
  kStrCount,
};

/// The fixed part at the start of every encoded event. Followed by
/// `header_count`, then `field_count`, then `extension_count` (CloudEvents
/// extension attributes) `PairRef`s, then the string bytes.
struct EventHeader {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t flags;
  std::uint32_t total_size;
  std::uint32_t header_count;
  std::uint32_t field_count;
  std::uint32_t pairs_offset;
  std::int64_t timestamp_ns;  // since the Unix epoch
  std::int64_t partition;     // the shard id
  std::int64_t offset;
  std::uint32_t extension_count;
  std::uint32_t num_shards;   // 0 when the source does not say
  StrRef strings[kStrCount];  // NOLINT(modernize-avoid-c-arrays): a fixed wire layout
};

static_assert(sizeof(EventHeader) == 176, "the event header is part of the wire format");

}  // namespace nimbus::detail
