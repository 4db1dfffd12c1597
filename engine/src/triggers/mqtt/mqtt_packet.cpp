#include "mqtt_packet.hpp"

#include <array>
#include <cstddef>

namespace nimbus::engine::mqtt {
namespace {

constexpr std::size_t kMaxRemaining = 268'435'455;  // four bytes of variable-length integer
constexpr std::size_t kMaxString = 65'535;

// Property identifiers used here (MQTT 5.0, 2.2.2.2).
constexpr std::uint8_t kContentType = 0x03;
constexpr std::uint8_t kResponseTopic = 0x08;
constexpr std::uint8_t kCorrelationData = 0x09;
constexpr std::uint8_t kSessionExpiry = 0x11;
constexpr std::uint8_t kAssignedClientId = 0x12;
constexpr std::uint8_t kServerKeepAlive = 0x13;
constexpr std::uint8_t kReasonString = 0x1F;
constexpr std::uint8_t kReceiveMaximum = 0x21;
constexpr std::uint8_t kTopicAlias = 0x23;
constexpr std::uint8_t kUserProperty = 0x26;

enum class Shape : std::uint8_t { kNone, kByte, kTwo, kFour, kVarint, kString, kBinary, kPair };

// Each property's shape, by identifier; kNone: no such property.
constexpr std::array<Shape, 0x2B> kShapes = [] {
  std::array<Shape, 0x2B> s{};
  for (std::uint8_t id : {0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A}) s[id] = Shape::kByte;
  for (std::uint8_t id : {0x13, 0x21, 0x22, 0x23}) s[id] = Shape::kTwo;
  for (std::uint8_t id : {0x02, 0x11, 0x18, 0x27}) s[id] = Shape::kFour;
  s[0x0B] = Shape::kVarint;
  for (std::uint8_t id : {0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F}) s[id] = Shape::kString;
  for (std::uint8_t id : {0x09, 0x16}) s[id] = Shape::kBinary;
  s[0x26] = Shape::kPair;
  return s;
}();

// Reads big-endian integers, variable-length integers and length-prefixed
// strings; once something is short or malformed it stays failed.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  [[nodiscard]] bool ok() const noexcept { return error_ == nullptr; }
  [[nodiscard]] const char* error() const noexcept { return error_; }
  [[nodiscard]] std::size_t left() const noexcept { return data_.size() - at_; }
  [[nodiscard]] std::string_view rest() noexcept {
    auto r = data_.substr(at_);
    at_ = data_.size();
    return r;
  }
  void fail(const char* why) noexcept {
    if (error_ == nullptr) error_ = why;
  }
  std::uint32_t byte() noexcept { return take(1) ? std::uint8_t(data_[at_ - 1]) : 0; }
  std::uint32_t two() noexcept {
    if (!take(2)) return 0;
    return (std::uint32_t{std::uint8_t(data_[at_ - 2])} << 8) | std::uint8_t(data_[at_ - 1]);
  }
  std::uint32_t four() noexcept {
    const std::uint32_t high = two();
    return (high << 16) | two();
  }
  std::uint32_t varint() noexcept {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const std::uint32_t b = byte();
      value |= (b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return value;
    }
    fail("a variable-length integer of more than four bytes");
    return 0;
  }
  std::string_view binary() noexcept {
    const std::uint32_t n = two();
    if (!take(n)) return {};
    return data_.substr(at_ - n, n);
  }
  Reader sub(std::size_t n) noexcept {
    if (!take(n)) return Reader(std::string_view{});
    return Reader(data_.substr(at_ - n, n));
  }

 private:
  bool take(std::size_t n) noexcept {
    if (error_ != nullptr) return false;
    if (left() < n) {
      fail("a packet shorter than its fields");
      return false;
    }
    at_ += n;
    return true;
  }
  std::string_view data_;
  std::size_t at_ = 0;
  const char* error_ = nullptr;
};

struct Property {
  std::uint8_t id = 0;
  std::uint32_t number = 0;
  std::string_view text;
  std::string_view value;  // a user property's value
};

// Reads a property list (its length first), calling `each(Property)`.
template <class Each>
void read_properties(Reader& r, Each each) {
  Reader props = r.sub(r.varint());
  if (!r.ok()) return;
  while (props.ok() && props.left() > 0) {
    Property p;
    p.id = static_cast<std::uint8_t>(props.varint());
    const Shape shape = p.id < kShapes.size() ? kShapes[p.id] : Shape::kNone;
    switch (shape) {
      case Shape::kNone:
        r.fail("an unknown property");
        return;
      case Shape::kByte:
        p.number = props.byte();
        break;
      case Shape::kTwo:
        p.number = props.two();
        break;
      case Shape::kFour:
        p.number = props.four();
        break;
      case Shape::kVarint:
        p.number = props.varint();
        break;
      case Shape::kString:
      case Shape::kBinary:
        p.text = props.binary();
        break;
      case Shape::kPair:
        p.text = props.binary();
        p.value = props.binary();
        break;
    }
    if (props.ok()) each(p);
  }
  if (!props.ok()) r.fail(props.error());
}

Result<void> done(const Reader& r, std::string_view what) {
  if (r.ok()) return {};
  return Error{"a malformed " + std::string(what) + " (" + r.error() + ")"};
}

// Appends big-endian integers, variable-length integers and strings.
void put_two(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}
void put_four(std::string& out, std::uint32_t v) {
  put_two(out, v >> 16);
  put_two(out, v & 0xFFFF);
}
void put_varint(std::string& out, std::size_t v) {
  do {
    auto b = static_cast<std::uint8_t>(v & 0x7F);
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v != 0);
}
void put_string(std::string& out, std::string_view s) {
  put_two(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// Wraps a variable part in its fixed header.
Result<void> put_packet(std::string& out, std::uint8_t first, std::string_view body) {
  if (body.size() > kMaxRemaining)
    return Error{"a packet of " + std::to_string(body.size()) + " bytes is over MQTT's 268,435,455"};
  out.push_back(static_cast<char>(first));
  put_varint(out, body.size());
  out.append(body);
  return {};
}

Result<void> check_string(std::string_view what, std::string_view s) {
  if (s.size() <= kMaxString) return {};
  return Error{std::string(what) + " of " + std::to_string(s.size()) + " bytes is over MQTT's 65,535"};
}

}  // namespace

Framed frame(std::string_view bytes) noexcept {
  Framed f;
  if (bytes.empty()) return f;
  std::size_t length = 0;
  std::size_t i = 1;
  for (int shift = 0;; shift += 7, ++i) {
    if (i >= bytes.size()) return f;  // the length is not whole yet
    if (i > 4) {
      f.status = Framed::Status::kMalformed;
      f.error = "a remaining length of more than four bytes";
      return f;
    }
    const auto b = static_cast<std::uint8_t>(bytes[i]);
    length |= std::size_t{b & 0x7Fu} << shift;
    if ((b & 0x80) == 0) break;
  }
  f.header_known = true;
  f.header_size = i + 1;
  f.remaining_length = length;
  const auto first = static_cast<std::uint8_t>(bytes[0]);
  const auto type = first >> 4;
  if (type == 0) {
    f.status = Framed::Status::kMalformed;
    f.error = "a packet of type 0";
    return f;
  }
  if (bytes.size() - f.header_size < length) return f;
  f.status = Framed::Status::kPacket;
  f.packet.type = static_cast<PacketType>(type);
  f.packet.flags = first & 0x0F;
  f.packet.body = bytes.substr(f.header_size, length);
  return f;
}

Result<std::size_t> parse_publish_head(std::uint8_t flags, std::string_view head, Publish& out) noexcept {
  out = Publish{};
  out.qos = (flags >> 1) & 3;
  out.dup = (flags & 8) != 0;
  out.retain = (flags & 1) != 0;
  if (out.qos == 3) return Error{"a malformed PUBLISH (QoS 3)"};
  Reader r(head);
  out.topic = r.binary();
  if (out.qos > 0) out.packet_id = static_cast<std::uint16_t>(r.two());
  if (r.ok() && out.qos > 0 && out.packet_id == 0) r.fail("packet id 0");
  if (auto ok = done(r, "PUBLISH"); !ok) return ok.error();
  const std::size_t properties_at = head.size() - r.left();
  const std::uint32_t properties = r.varint();
  if (!r.ok()) return properties_at;
  return head.size() - r.left() + properties;
}

Result<void> parse_publish(const Packet& packet, Publish& out) noexcept {
  try {
    if (auto ok = parse_publish_head(packet.flags, packet.body, out); !ok) return ok.error();
    Reader r(packet.body);
    (void)r.binary();
    if (out.qos > 0) (void)r.two();
    read_properties(r, [&](const Property& p) {
      switch (p.id) {
        case kContentType:
          out.content_type = p.text;
          break;
        case kResponseTopic:
          out.response_topic = p.text;
          break;
        case kCorrelationData:
          out.correlation = p.text;
          break;
        case kUserProperty:
          out.user_properties.emplace_back(p.text, p.value);
          break;
        case kTopicAlias:
          r.fail("a topic alias, though this client allows none");
          break;
        default:
          break;
      }
    });
    out.payload = r.rest();
    if (r.ok() && out.topic.empty()) r.fail("an empty topic");
    return done(r, "PUBLISH");
  } catch (const std::bad_alloc&) {
    return Error{"out of memory reading a PUBLISH"};
  }
}

Result<void> parse_connack(const Packet& packet, Connack& out) noexcept {
  try {
    out = Connack{};
    Reader r(packet.body);
    out.session_present = (r.byte() & 1) != 0;
    out.reason = static_cast<std::uint8_t>(r.byte());
    if (r.ok() && r.left() > 0) {
      read_properties(r, [&](const Property& p) {
        switch (p.id) {
          case kReasonString:
            out.reason_string = p.text;
            break;
          case kReceiveMaximum:
            out.receive_maximum = static_cast<std::uint16_t>(p.number);
            break;
          case kServerKeepAlive:
            out.server_keep_alive = static_cast<std::uint16_t>(p.number);
            break;
          case kAssignedClientId:
            out.assigned_client_id = p.text;
            break;
          default:
            break;
        }
      });
    }
    return done(r, "CONNACK");
  } catch (const std::bad_alloc&) {
    return Error{"out of memory reading a CONNACK"};
  }
}

Result<void> parse_suback(const Packet& packet, Suback& out) noexcept {
  try {
    out = Suback{};
    Reader r(packet.body);
    out.packet_id = static_cast<std::uint16_t>(r.two());
    read_properties(r, [&](const Property& p) {
      if (p.id == kReasonString) out.reason_string = p.text;
    });
    for (char c : r.rest()) out.reasons.push_back(static_cast<std::uint8_t>(c));
    if (r.ok() && out.reasons.empty()) r.fail("no reason codes");
    return done(r, "SUBACK");
  } catch (const std::bad_alloc&) {
    return Error{"out of memory reading a SUBACK"};
  }
}

Result<void> parse_disconnect(const Packet& packet, Disconnect& out) noexcept {
  try {
    out = Disconnect{};
    Reader r(packet.body);
    if (r.left() > 0) out.reason = static_cast<std::uint8_t>(r.byte());
    if (r.ok() && r.left() > 0) {
      read_properties(r, [&](const Property& p) {
        if (p.id == kReasonString) out.reason_string = p.text;
      });
    }
    return done(r, "DISCONNECT");
  } catch (const std::bad_alloc&) {
    return Error{"out of memory reading a DISCONNECT"};
  }
}

Result<std::uint16_t> parse_packet_id(const Packet& packet) noexcept {
  Reader r(packet.body);
  const auto id = static_cast<std::uint16_t>(r.two());
  if (!r.ok()) return Error{"a malformed acknowledgement (" + std::string(r.error()) + ")"};
  return id;
}

Result<void> write_connect(std::string& out, const Connect& c) {
  for (auto [what, s] : {std::pair{"a client id", c.client_id}, std::pair{"a username", c.username},
                         std::pair{"a password", c.password}}) {
    if (auto ok = check_string(what, s); !ok) return ok;
  }
  std::string body;
  put_string(body, "MQTT");
  body.push_back(5);  // protocol version
  std::uint8_t flags = c.clean_start ? 0x02 : 0;
  if (!c.username.empty()) flags |= 0x80;
  if (!c.password.empty()) flags |= 0x40;
  body.push_back(static_cast<char>(flags));
  put_two(body, c.keep_alive);
  std::string props;
  if (c.session_expiry != 0) {
    props.push_back(static_cast<char>(kSessionExpiry));
    put_four(props, c.session_expiry);
  }
  props.push_back(static_cast<char>(kReceiveMaximum));
  put_two(props, c.receive_maximum);
  put_varint(body, props.size());
  body += props;
  put_string(body, c.client_id);
  if (!c.username.empty()) put_string(body, c.username);
  if (!c.password.empty()) put_string(body, c.password);
  return put_packet(out, 0x10, body);
}

Result<void> write_subscribe(std::string& out, std::uint16_t packet_id,
                             const std::vector<std::pair<std::string, int>>& filters) {
  std::string body;
  put_two(body, packet_id);
  body.push_back(0);  // no properties
  for (const auto& [filter, qos] : filters) {
    if (auto ok = check_string("a topic filter", filter); !ok) return ok;
    put_string(body, filter);
    body.push_back(static_cast<char>(qos & 3));  // options: the QoS; local messages, retained as sent
  }
  return put_packet(out, 0x82, body);
}

Result<void> write_publish(std::string& out, std::string_view topic, std::string_view payload, int qos,
                           std::uint16_t packet_id, std::string_view correlation) {
  if (auto ok = check_string("a topic", topic); !ok) return ok;
  if (auto ok = check_string("correlation data", correlation); !ok) return ok;
  std::string head;
  put_string(head, topic);
  if (qos > 0) put_two(head, packet_id);
  std::string props;
  if (!correlation.empty()) {
    props.push_back(static_cast<char>(kCorrelationData));
    put_string(props, correlation);
  }
  put_varint(head, props.size());
  head += props;
  const std::size_t length = head.size() + payload.size();
  if (length > kMaxRemaining)
    return Error{"a message of " + std::to_string(payload.size()) + " bytes is over MQTT's 268,435,455"};
  out.push_back(static_cast<char>(0x30 | ((qos & 3) << 1)));
  put_varint(out, length);
  out += head;
  out.append(payload);
  return {};
}

void write_ack(std::string& out, PacketType type, std::uint16_t packet_id, std::uint8_t reason) {
  const std::uint8_t flags = type == PacketType::kPubrel ? 0x02 : 0;
  out.push_back(static_cast<char>((static_cast<std::uint8_t>(type) << 4) | flags));
  out.push_back(reason == 0 ? 2 : 3);  // reason 0 and no properties may be left out
  put_two(out, packet_id);
  if (reason != 0) out.push_back(static_cast<char>(reason));
}

void write_pingreq(std::string& out) { out.append("\xC0\x00", 2); }

void write_disconnect(std::string& out, std::uint8_t reason) {
  out.push_back(static_cast<char>(0xE0));
  if (reason == 0) {
    out.push_back(0);
  } else {
    out.push_back(1);
    out.push_back(static_cast<char>(reason));
  }
}

std::string_view reason_text(std::uint8_t code) noexcept {
  switch (code) {
    case 0x00:
      return "Success";
    case 0x04:
      return "Disconnect with Will Message";
    case 0x10:
      return "No matching subscribers";
    case 0x80:
      return "Unspecified error";
    case 0x81:
      return "Malformed Packet";
    case 0x82:
      return "Protocol Error";
    case 0x83:
      return "Implementation specific error";
    case 0x84:
      return "Unsupported Protocol Version";
    case 0x85:
      return "Client Identifier not valid";
    case 0x86:
      return "Bad User Name or Password";
    case 0x87:
      return "Not authorized";
    case 0x88:
      return "Server unavailable";
    case 0x89:
      return "Server busy";
    case 0x8A:
      return "Banned";
    case 0x8B:
      return "Server shutting down";
    case 0x8C:
      return "Bad authentication method";
    case 0x8D:
      return "Keep Alive timeout";
    case 0x8E:
      return "Session taken over";
    case 0x8F:
      return "Topic Filter invalid";
    case 0x90:
      return "Topic Name invalid";
    case 0x91:
      return "Packet Identifier in use";
    case 0x93:
      return "Receive Maximum exceeded";
    case 0x94:
      return "Topic Alias invalid";
    case 0x95:
      return "Packet too large";
    case 0x97:
      return "Quota exceeded";
    case 0x99:
      return "Payload format invalid";
    case 0x9A:
      return "Retain not supported";
    case 0x9B:
      return "QoS not supported";
    case 0x9C:
      return "Use another server";
    case 0x9D:
      return "Server moved";
    case 0x9E:
      return "Shared Subscriptions not supported";
    case 0x9F:
      return "Connection rate exceeded";
    case 0xA1:
      return "Subscription Identifiers not supported";
    case 0xA2:
      return "Wildcard Subscriptions not supported";
    default:
      return "an unknown reason";
  }
}

}  // namespace nimbus::engine::mqtt
