// The bytes a broker sends the mqtt trigger's client: any input, framed into
// packets as the trigger frames its read buffer, each read as the trigger
// reads its type. Properties: nothing crashes; every view a reader returns
// lies inside the input; a PUBLISH read back is written again and read again
// to the same topic, packet id, correlation data and payload.
#include <cstdint>
#include <string>

#include "../../engine/src/triggers/mqtt/mqtt_packet.hpp"
#include "fuzz.hpp"

namespace {

using namespace nimbus::engine::mqtt;  // NOLINT(google-build-using-namespace): a target of this one module

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void publish(const Packet& packet, std::string_view input) {
  Publish p;
  if (!parse_publish(packet, p)) return;
  for (auto view : {p.topic, p.content_type, p.response_topic, p.correlation, p.payload})
    nimbus::fuzz::check(inside(view, input), "a PUBLISH view outside the input");
  for (auto [k, v] : p.user_properties)
    nimbus::fuzz::check(inside(k, input) && inside(v, input), "a user property outside the input");
  std::string again;
  if (!write_publish(again, p.topic, p.payload, p.qos, p.packet_id, p.correlation)) return;
  const Framed f = frame(again);
  nimbus::fuzz::check(f.status == Framed::Status::kPacket, "a written PUBLISH does not frame");
  Publish q;
  nimbus::fuzz::check(static_cast<bool>(parse_publish(f.packet, q)), "a written PUBLISH does not read");
  nimbus::fuzz::check(q.topic == p.topic && q.packet_id == p.packet_id && q.correlation == p.correlation &&
                          q.payload == p.payload && q.qos == p.qos,
                      "a PUBLISH written again reads differently");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = nimbus::fuzz::text(data, size);
  std::string_view rest = input;
  while (!rest.empty()) {
    const Framed f = frame(rest);
    if (f.status != Framed::Status::kPacket) {
      if (f.status == Framed::Status::kNeedMore && f.header_known) {
        Publish head;  // as the trigger reads the head of a message too large to hold
        (void)parse_publish_head(static_cast<std::uint8_t>(rest[0]) & 0x0F, rest.substr(f.header_size), head);
        nimbus::fuzz::check(inside(head.topic, input), "a PUBLISH head's topic outside the input");
      }
      break;
    }
    nimbus::fuzz::check(inside(f.packet.body, rest), "a packet's body outside the input");
    switch (f.packet.type) {
      case PacketType::kPublish:
        publish(f.packet, input);
        break;
      case PacketType::kConnack: {
        Connack c;
        (void)parse_connack(f.packet, c);
        break;
      }
      case PacketType::kSuback: {
        Suback s;
        (void)parse_suback(f.packet, s);
        break;
      }
      case PacketType::kDisconnect: {
        Disconnect d;
        (void)parse_disconnect(f.packet, d);
        (void)reason_text(d.reason);
        break;
      }
      default:
        (void)parse_packet_id(f.packet);
        break;
    }
    rest.remove_prefix(f.header_size + f.remaining_length);
  }
  return 0;
}
