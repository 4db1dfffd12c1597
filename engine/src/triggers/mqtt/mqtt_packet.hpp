#pragma once
// MQTT 5.0 packets, as the mqtt trigger's client speaks them (OASIS MQTT
// Version 5.0, chapters 2 and 3): framing a byte stream into packets, reading
// the packets a broker sends a subscriber, and writing those a subscriber
// sends. Pure functions over bytes, no sockets: the trigger owns the
// connection, the fuzz target drives the readers.
//
// Why a client of our own: a subscriber that acknowledges a QoS 1 message
// only once its handler succeeded must choose when PUBACK is sent, and
// Debian 12's libmosquitto (2.0.11) sends it as it reads the message
// (docs/triggers.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/result.hpp"

namespace nimbus::engine::mqtt {

enum class PacketType : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

/// One packet's fixed header and its variable part (a view into the stream).
struct Packet {
  PacketType type = PacketType::kConnect;
  std::uint8_t flags = 0;  // the fixed header's low four bits
  std::string_view body;
};

/// What `frame` found at the start of a byte stream.
struct Framed {
  enum class Status { kNeedMore, kPacket, kMalformed };
  Status status = Status::kNeedMore;
  /// The fixed header's size and the length it announces, once the header is
  /// whole (also with kNeedMore), so that a reader can refuse a packet too
  /// large before it arrives.
  std::size_t header_size = 0;
  std::size_t remaining_length = 0;
  bool header_known = false;
  Packet packet;      // kPacket: its body is the `remaining_length` bytes after the header
  std::string error;  // kMalformed
};

/// Frames the packet at the start of `bytes`.
[[nodiscard]] Framed frame(std::string_view bytes) noexcept;

/// A PUBLISH the broker sent: views into its packet.
struct Publish {
  int qos = 0;
  bool dup = false;
  bool retain = false;
  std::string_view topic;
  std::uint16_t packet_id = 0;  // QoS 1 and 2
  std::string_view content_type;
  std::string_view response_topic;
  std::string_view correlation;
  std::vector<std::pair<std::string_view, std::string_view>> user_properties;
  std::string_view payload;
};
/// Reads a PUBLISH; the error names what is malformed.
[[nodiscard]] Result<void> parse_publish(const Packet& packet, Publish& out) noexcept;

/// The start of a PUBLISH too large to hold: its QoS, topic and packet id,
/// from its first bytes (`head`: at most the whole variable part). Returns
/// where its payload starts in the variable part, when `head` holds the
/// properties' length (else where that length starts).
[[nodiscard]] Result<std::size_t> parse_publish_head(std::uint8_t flags, std::string_view head,
                                                     Publish& out) noexcept;

struct Connack {
  bool session_present = false;
  std::uint8_t reason = 0;  // 0: accepted; 0x80 and above: refused
  std::string reason_string;
  std::uint16_t receive_maximum = 65535;
  std::uint16_t server_keep_alive = 0;  // 0: none given
  std::string assigned_client_id;
};
[[nodiscard]] Result<void> parse_connack(const Packet& packet, Connack& out) noexcept;

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> reasons;  // one per topic filter: the granted QoS, or 0x80 and above
  std::string reason_string;
};
[[nodiscard]] Result<void> parse_suback(const Packet& packet, Suback& out) noexcept;

struct Disconnect {
  std::uint8_t reason = 0;
  std::string reason_string;
};
[[nodiscard]] Result<void> parse_disconnect(const Packet& packet, Disconnect& out) noexcept;

/// The packet id of a PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK.
[[nodiscard]] Result<std::uint16_t> parse_packet_id(const Packet& packet) noexcept;

/// What a CONNECT carries.
struct Connect {
  std::string_view client_id;
  std::string_view username;  // empty: none
  std::string_view password;  // empty: none
  bool clean_start = true;
  std::uint16_t keep_alive = 30;
  std::uint32_t session_expiry = 0;       // seconds the broker keeps the session after a disconnect
  std::uint16_t receive_maximum = 65535;  // QoS 1 and 2 messages unacknowledged at once, at most
};

// Writers append one packet to `out`. Lengths past MQTT's limits (a string
// of more than 65,535 bytes, a packet of more than 268,435,455) are an error
// and `out` is unchanged.
[[nodiscard]] Result<void> write_connect(std::string& out, const Connect& c);
[[nodiscard]] Result<void> write_subscribe(std::string& out, std::uint16_t packet_id,
                                           const std::vector<std::pair<std::string, int>>& filters);
[[nodiscard]] Result<void> write_publish(std::string& out, std::string_view topic, std::string_view payload,
                                         int qos, std::uint16_t packet_id, std::string_view correlation);
/// PUBACK, PUBREC, PUBREL or PUBCOMP for `packet_id`, with `reason`.
void write_ack(std::string& out, PacketType type, std::uint16_t packet_id, std::uint8_t reason = 0);
void write_pingreq(std::string& out);
void write_disconnect(std::string& out, std::uint8_t reason = 0);

/// An MQTT 5 reason code's name ("Not authorized"), for logs.
[[nodiscard]] std::string_view reason_text(std::uint8_t code) noexcept;

}  // namespace nimbus::engine::mqtt
