#include "nimbus/event.hpp"

#include <cstring>
#include <string>

#include "nimbus/detail/ascii.hpp"

namespace nimbus {
namespace {

using detail::EventHeader;
using detail::PairRef;
using detail::StrRef;

bool in_bounds(StrRef s, std::uint32_t total) noexcept {
  return s.offset <= total && s.length <= total - s.offset;
}

PairRef pair_at(const char* base, std::uint32_t table_offset, std::uint32_t i) noexcept {
  PairRef p{};
  std::memcpy(&p, base + table_offset + static_cast<std::size_t>(i) * sizeof(PairRef), sizeof p);
  return p;
}

}  // namespace

Result<Event> Event::from_bytes(std::span<const std::byte> bytes) noexcept {
  if (bytes.size() < sizeof(EventHeader)) {
    return Error{"event is " + std::to_string(bytes.size()) + " bytes, shorter than its " +
                 std::to_string(sizeof(EventHeader)) + "-byte header"};
  }
  Event e;
  std::memcpy(&e.h_, bytes.data(), sizeof(EventHeader));
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): char view of bytes
  e.base_ = reinterpret_cast<const char*>(bytes.data());
  const EventHeader& h = e.h_;
  if (h.magic != detail::kEventMagic) return Error{"not an encoded event (bad magic)"};
  if (h.version != detail::kEventLayoutVersion) {
    return Error{"event layout version " + std::to_string(h.version) + " is not supported (expected " +
                 std::to_string(detail::kEventLayoutVersion) + ")"};
  }
  if (h.total_size > bytes.size() || h.total_size < sizeof(EventHeader)) {
    return Error{"event claims " + std::to_string(h.total_size) + " bytes but " +
                 std::to_string(bytes.size()) + " are present"};
  }
  const std::uint64_t pairs = static_cast<std::uint64_t>(h.header_count) + h.field_count + h.extension_count;
  if (h.pairs_offset < sizeof(EventHeader) || h.pairs_offset > h.total_size ||
      pairs * sizeof(PairRef) > h.total_size - h.pairs_offset) {
    return Error{"event header/field/extension table lies outside the event"};
  }
  for (const StrRef& s : h.strings) {
    if (!in_bounds(s, h.total_size)) return Error{"event string lies outside the event"};
  }
  for (std::uint32_t i = 0; i < pairs; ++i) {
    PairRef p = pair_at(e.base_, h.pairs_offset, i);
    if (!in_bounds(p.name, h.total_size) || !in_bounds(p.value, h.total_size)) {
      return Error{"event header or field lies outside the event"};
    }
  }
  return e;
}

Event Event::of_encoding(std::span<const std::byte> bytes) noexcept {
  Event e;
  std::memcpy(&e.h_, bytes.data(), sizeof(EventHeader));
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): char view of bytes
  e.base_ = reinterpret_cast<const char*>(bytes.data());
  return e;
}

EventPairs::Pair EventPairs::at(std::uint32_t i) const {
  PairRef p = pair_at(base_, table_offset_, i);
  return {{base_ + p.name.offset, p.name.length}, {base_ + p.value.offset, p.value.length}};
}

std::optional<std::string_view> EventPairs::find(std::string_view name) const {
  for (std::uint32_t i = 0; i < count_; ++i) {
    auto [n, v] = at(i);
    if (detail::iequals(n, name)) return v;
  }
  return std::nullopt;
}

Event::Pairs Event::fields() const {
  return {base_, static_cast<std::uint32_t>(h_.pairs_offset + h_.header_count * sizeof(PairRef)),
          h_.field_count};
}

std::span<const std::byte> Event::body_bytes() const {
  auto b = body();
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): byte view of chars
  return {reinterpret_cast<const std::byte*>(b.data()), b.size()};
}

Json Event::json() const { return Json::parse(body()); }

std::chrono::system_clock::time_point Event::timestamp() const {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(h_.timestamp_ns)));
}

std::optional<CloudEvent> Event::cloud_event() const {
  if (str(detail::kCeSpecVersion).empty()) return std::nullopt;
  const auto extensions_at = static_cast<std::uint32_t>(
      h_.pairs_offset + (static_cast<std::size_t>(h_.header_count) + h_.field_count) * sizeof(PairRef));
  return CloudEvent{id(),
                    str(detail::kCeSource),
                    str(detail::kCeType),
                    str(detail::kCeSpecVersion),
                    str(detail::kCeSubject),
                    str(detail::kCeTime),
                    content_type(),
                    str(detail::kCeDataSchema),
                    {base_, extensions_at, h_.extension_count}};
}

namespace {
// W3C Trace Context: 2 hex digits of version (not ff), then 32 of trace id and 16 of parent id
// (neither all zeros), then 2 of flags, with dashes between; a later version may add fields.
bool well_formed_trace_parent(std::string_view t) {
  if (t.size() < 55 || (t.size() > 55 && (t[55] != '-' || t.substr(0, 2) == "00"))) return false;
  auto hex = [&](std::size_t from, std::size_t n) {
    bool nonzero = false;
    for (std::size_t i = from; i < from + n; ++i) {
      const char c = t[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
      nonzero = nonzero || c != '0';
    }
    return nonzero || n == 2;
  };
  return t[2] == '-' && t[35] == '-' && t[52] == '-' && hex(0, 2) && t.substr(0, 2) != "ff" && hex(3, 32) &&
         hex(36, 16) && hex(53, 2);
}
}  // namespace

std::string_view Event::trace_parent() const {
  std::optional<std::string_view> t = header("traceparent");
  if (!t) {
    if (auto ce = cloud_event()) t = ce->extensions.find("traceparent");
  }
  return t && well_formed_trace_parent(*t) ? *t : std::string_view();
}

std::optional<StreamPosition> Event::stream() const {
  if ((h_.flags & detail::kEventHasStream) == 0) return std::nullopt;
  return StreamPosition{topic(), h_.partition, h_.num_shards, h_.offset};
}

}  // namespace nimbus
