// MQTT 5 packets as the mqtt trigger's client writes and reads them: the bytes
// of what it writes (checked against the standard's layouts, byte by byte),
// PUBLISH with every property a subscriber reads, framing across partial
// input, and malformed packets refused with a reason.
#include "../../engine/src/triggers/mqtt/mqtt_packet.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace nimbus::engine::mqtt;  // NOLINT(google-build-using-namespace): a test of this one module
using namespace std::string_literals;  // NOLINT(google-build-using-namespace)

Packet only_packet(std::string_view bytes) {
  const Framed f = frame(bytes);
  EXPECT_EQ(f.status, Framed::Status::kPacket) << f.error;
  EXPECT_EQ(f.header_size + f.remaining_length, bytes.size());
  return f.packet;
}

TEST(MqttPacket, ConnectCarriesTheSessionTheCredentialsAndTheReceiveMaximum) {
  std::string out;
  Connect c;
  c.client_id = "id";
  c.username = "u";
  c.password = "p";
  c.clean_start = false;
  c.keep_alive = 30;
  c.session_expiry = 0xFFFFFFFF;
  c.receive_maximum = 64;
  ASSERT_TRUE(write_connect(out, c));
  const std::string expected =
      "\x10\x1D"                              // CONNECT, 29 bytes
      "\x00\x04MQTT\x05"                      // protocol name, version 5
      "\xC0"                                  // username, password; no clean start
      "\x00\x1E"                              // keep alive 30 s
      "\x08\x11\xFF\xFF\xFF\xFF\x21\x00\x40"  // properties: session expiry, receive maximum 64
      "\x00\x02id\x00\x01u\x00\x01p"s;
  EXPECT_EQ(out, expected);
}

TEST(MqttPacket, SubscribeAcksPingAndDisconnectAreTheStandardsBytes) {
  std::string out;
  ASSERT_TRUE(write_subscribe(out, 7, {{"a/+", 1}, {"$share/g/b", 2}}));
  EXPECT_EQ(out,
            "\x82\x16\x00\x07\x00\x00\x03"
            "a/+\x01\x00\x0A$share/g/b\x02"s);
  out.clear();
  write_ack(out, PacketType::kPuback, 0x1234);
  write_ack(out, PacketType::kPubrec, 2, 0x97);
  write_ack(out, PacketType::kPubrel, 3);
  write_pingreq(out);
  write_disconnect(out);
  EXPECT_EQ(out,
            "\x40\x02\x12\x34"
            "\x50\x03\x00\x02\x97"
            "\x62\x02\x00\x03"
            "\xC0\x00"
            "\xE0\x00"s);
}

TEST(MqttPacket, APublishWithEveryPropertyIsReadBack) {
  // Topic, packet id 9, QoS 1; content type, response topic, correlation data, two user properties.
  const std::string props =
      "\x03\x00\x0Atext/plain"
      "\x08\x00\x03r/t"
      "\x09\x00\x02\x00\x01"
      "\x26\x00\x01k\x00\x02v1"
      "\x26\x00\x01k\x00\x02v2"s;
  std::string body =
      "\x00\x03"
      "a/b"
      "\x00\x09"s;
  body += static_cast<char>(props.size());
  body += props;
  body += "payload\x00!"s;
  std::string bytes(1, static_cast<char>(0x32));  // PUBLISH, QoS 1
  bytes += static_cast<char>(body.size());
  bytes += body;
  Publish p;
  auto read = parse_publish(only_packet(bytes), p);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(p.qos, 1);
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.packet_id, 9);
  EXPECT_EQ(p.content_type, "text/plain");
  EXPECT_EQ(p.response_topic, "r/t");
  EXPECT_EQ(p.correlation, "\x00\x01"s);
  ASSERT_EQ(p.user_properties.size(), 2u);
  EXPECT_EQ(p.user_properties[1].first, "k");
  EXPECT_EQ(p.user_properties[1].second, "v2");
  EXPECT_EQ(p.payload, "payload\x00!"s);
}

TEST(MqttPacket, WhatThePublisherWritesTheSubscriberReads) {
  std::string out;
  const std::string payload(200'000, 'x');  // a remaining length of three bytes
  ASSERT_TRUE(write_publish(out, "replies/1", payload, 1, 42, "corr"));
  Publish p;
  ASSERT_TRUE(parse_publish(only_packet(out), p));
  EXPECT_EQ(p.topic, "replies/1");
  EXPECT_EQ(p.packet_id, 42);
  EXPECT_EQ(p.correlation, "corr");
  EXPECT_EQ(p.payload.size(), payload.size());
}

TEST(MqttPacket, FramingWaitsForAWholePacketAndKnowsItsLengthEarly) {
  std::string out;
  ASSERT_TRUE(write_publish(out, "t", std::string(300, 'y'), 0, 0, ""));
  EXPECT_FALSE(frame(out.substr(0, 1)).header_known);
  const Framed part = frame(out.substr(0, 10));
  EXPECT_EQ(part.status, Framed::Status::kNeedMore);
  ASSERT_TRUE(part.header_known);
  EXPECT_EQ(part.header_size, 3u);
  EXPECT_EQ(part.remaining_length, out.size() - 3);
  const Framed two = frame(out + "\xD0\x00"s);  // and a PINGRESP after it
  ASSERT_EQ(two.status, Framed::Status::kPacket);
  EXPECT_EQ(two.packet.type, PacketType::kPublish);
  EXPECT_EQ(frame(std::string_view(out + "\xD0\x00"s).substr(out.size())).packet.type, PacketType::kPingresp);
}

TEST(MqttPacket, ConnackSubackAndDisconnectSayWhy) {
  Connack c;
  ASSERT_TRUE(parse_connack(only_packet("\x20\x0B\x01\x00\x08\x21\x00\x05\x13\x00\x0A\x24\x01"s), c));
  EXPECT_TRUE(c.session_present);
  EXPECT_EQ(c.receive_maximum, 5);
  EXPECT_EQ(c.server_keep_alive, 10);
  ASSERT_TRUE(parse_connack(only_packet("\x20\x0A\x00\x87\x07\x1F\x00\x04nope"s), c));
  EXPECT_EQ(c.reason, 0x87);
  EXPECT_EQ(c.reason_string, "nope");
  EXPECT_EQ(reason_text(c.reason), "Not authorized");
  Suback s;
  ASSERT_TRUE(parse_suback(only_packet("\x90\x05\x00\x07\x00\x01\x8F"s), s));
  EXPECT_EQ(s.packet_id, 7);
  EXPECT_EQ(s.reasons, (std::vector<std::uint8_t>{1, 0x8F}));
  Disconnect d;
  ASSERT_TRUE(parse_disconnect(only_packet("\xE0\x01\x8B"s), d));
  EXPECT_EQ(reason_text(d.reason), "Server shutting down");
  ASSERT_TRUE(parse_disconnect(only_packet("\xE0\x00"s), d));
  EXPECT_EQ(d.reason, 0);
}

TEST(MqttPacket, MalformedPacketsAreRefusedWithAReason) {
  Publish p;
  // A topic longer than the packet.
  auto short_topic = parse_publish(only_packet("\x30\x04\x00\x09"
                                               "ab"s),
                                   p);
  ASSERT_FALSE(short_topic);
  EXPECT_NE(short_topic.error().message.find("shorter than its fields"), std::string::npos);
  // QoS 3.
  EXPECT_FALSE(parse_publish(only_packet("\x36\x04\x00\x01t\x00"s), p));
  // Packet id 0 on QoS 1.
  EXPECT_FALSE(parse_publish(only_packet("\x32\x06\x00\x01t\x00\x00\x00"s), p));
  // An unknown property.
  auto unknown = parse_publish(only_packet("\x30\x06\x00\x01t\x02\x7F\x00"s), p);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown property"), std::string::npos);
  // A topic alias, which this client never allows.
  EXPECT_FALSE(parse_publish(only_packet("\x30\x07\x00\x01t\x03\x23\x00\x01"s), p));
  // A remaining length of five bytes, and type 0.
  EXPECT_EQ(frame("\x30\xFF\xFF\xFF\xFF\x01"s).status, Framed::Status::kMalformed);
  EXPECT_EQ(frame("\x00\x00"s).status, Framed::Status::kMalformed);
  Suback s;
  EXPECT_FALSE(parse_suback(only_packet("\x90\x03\x00\x07\x00"s), s));  // no reason codes
  EXPECT_FALSE(parse_packet_id(only_packet("\x40\x01\x00"s)));
}

TEST(MqttPacket, WritersRefuseWhatMqttCannotCarry) {
  std::string out;
  Connect c;
  const std::string long_id(70'000, 'i');
  c.client_id = long_id;
  auto refused = write_connect(out, c);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("a client id of 70000 bytes"), std::string::npos);
  EXPECT_FALSE(write_publish(out, long_id, "x", 0, 0, ""));
  EXPECT_TRUE(out.empty());
}

}  // namespace
