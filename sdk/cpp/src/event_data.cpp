#include "nimbus/detail/event_data.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace nimbus::detail {
namespace {

// EventData and EventParts have the same member names; one encoder serves both.
template <class D>
std::array<std::string_view, kStrCount> strings_of(const D& d) {
  std::array<std::string_view, kStrCount> s{};
  s[kId] = d.id;
  s[kTriggerKind] = d.trigger_kind;
  s[kTriggerName] = d.trigger_name;
  s[kContentType] = d.content_type;
  s[kMethod] = d.method;
  s[kPath] = d.path;
  s[kUrl] = d.url;
  s[kCeType] = d.ce_type;
  s[kCeSource] = d.ce_source;
  s[kCeSpecVersion] = d.ce_spec_version;
  s[kCeSubject] = d.ce_subject;
  s[kCeTime] = d.ce_time;
  s[kCeDataSchema] = d.ce_data_schema;
  s[kTopic] = d.topic;
  s[kBody] = d.body;
  return s;
}

// Appends string bytes at `cursor` and returns where they went.
StrRef put(std::byte* out, std::uint32_t& cursor, std::string_view s) noexcept {
  StrRef r{cursor, static_cast<std::uint32_t>(s.size())};
  if (!s.empty()) std::memcpy(out + cursor, s.data(), s.size());
  cursor += static_cast<std::uint32_t>(s.size());
  return r;
}

template <class D>
std::size_t encoded_size_of(const D& d) {
  std::size_t n =
      sizeof(EventHeader) + (d.headers.size() + d.fields.size() + d.ce_extensions.size()) * sizeof(PairRef);
  for (std::string_view s : strings_of(d)) n += s.size();
  for (const auto& [k, v] : d.headers) n += k.size() + v.size();
  for (const auto& [k, v] : d.fields) n += k.size() + v.size();
  for (const auto& [k, v] : d.ce_extensions) n += k.size() + v.size();
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("event of " + std::to_string(n) + " bytes exceeds the 4 GiB event limit");
  }
  return n;
}

template <class D>
void encode_event(const D& d, std::span<std::byte> out) noexcept {
  EventHeader h{};
  h.magic = kEventMagic;
  h.version = kEventLayoutVersion;
  h.flags = static_cast<std::uint16_t>((d.has_stream ? kEventHasStream : 0U) |
                                       (d.last_in_batch ? kEventLastInBatch : 0U));
  h.total_size = static_cast<std::uint32_t>(out.size());
  h.header_count = static_cast<std::uint32_t>(d.headers.size());
  h.field_count = static_cast<std::uint32_t>(d.fields.size());
  h.extension_count = static_cast<std::uint32_t>(d.ce_extensions.size());
  h.pairs_offset = sizeof(EventHeader);
  h.timestamp_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(d.timestamp.time_since_epoch()).count();
  h.partition = d.partition;
  h.offset = d.offset;
  h.num_shards = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(d.num_shards, 0, std::numeric_limits<std::uint32_t>::max()));

  std::byte* base = out.data();
  auto cursor = static_cast<std::uint32_t>(
      h.pairs_offset + (d.headers.size() + d.fields.size() + d.ce_extensions.size()) * sizeof(PairRef));
  std::uint32_t pair_cursor = h.pairs_offset;
  auto put_pairs = [&](const auto& list) {
    for (const auto& [k, v] : list) {
      PairRef p{put(base, cursor, k), put(base, cursor, v)};
      std::memcpy(base + pair_cursor, &p, sizeof p);
      pair_cursor += sizeof(PairRef);
    }
  };
  put_pairs(d.headers);
  put_pairs(d.fields);
  put_pairs(d.ce_extensions);
  auto strings = strings_of(d);
  for (std::uint32_t i = 0; i < kStrCount; ++i) h.strings[i] = put(base, cursor, strings[i]);
  std::memcpy(base, &h, sizeof h);
}

}  // namespace

std::size_t EventData::encoded_size() const { return encoded_size_of(*this); }
void EventData::encode_to(std::span<std::byte> out) const noexcept { encode_event(*this, out); }
std::size_t EventParts::encoded_size() const { return encoded_size_of(*this); }
void EventParts::encode_to(std::span<std::byte> out) const noexcept { encode_event(*this, out); }

Event EventParts::encode_into(std::vector<std::byte>& buffer) const {
  buffer.resize(encoded_size());
  encode_event(*this, buffer);
  return Event::of_encoding(buffer);
}

std::vector<std::byte> EventData::encode() const {
  std::vector<std::byte> out(encoded_size());
  encode_to(out);
  return out;
}

EventData to_event_data(const Event& e) {
  EventData d;
  d.id = e.id();
  d.trigger_kind = e.trigger_kind();
  d.trigger_name = e.trigger_name();
  d.content_type = e.content_type();
  d.method = e.method();
  d.path = e.path();
  d.url = e.url();
  for (auto [k, v] : e.headers()) d.headers.emplace_back(k, v);
  for (auto [k, v] : e.fields()) d.fields.emplace_back(k, v);
  d.body = e.body();
  d.timestamp = e.timestamp();
  if (auto ce = e.cloud_event()) {
    d.ce_type = ce->type;
    d.ce_source = ce->source;
    d.ce_spec_version = ce->specversion;
    d.ce_subject = ce->subject;
    d.ce_time = ce->time;
    d.ce_data_schema = ce->dataschema;
    for (auto [k, v] : ce->extensions) d.ce_extensions.emplace_back(k, v);
  }
  if (auto s = e.stream()) {
    d.has_stream = true;
    d.topic = s->topic;
    d.partition = s->shard_id;
    d.num_shards = s->num_shards;
    d.offset = s->offset;
  }
  d.last_in_batch = e.last_in_batch();
  return d;
}

EventBuffer::EventBuffer(const EventData& data) : bytes_(data.encode()), event_(Event::of_encoding(bytes_)) {}

EventBuffer::EventBuffer(const EventBuffer& other)
    : bytes_(other.bytes_), event_(Event::of_encoding(bytes_)) {}

EventBuffer& EventBuffer::operator=(const EventBuffer& other) {
  if (this != &other) {
    bytes_ = other.bytes_;
    event_ = Event::of_encoding(bytes_);
  }
  return *this;
}

}  // namespace nimbus::detail
