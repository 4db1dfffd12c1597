#include "mqtt_trigger.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "../../util/host_port.hpp"

namespace nimbus::engine::mqtt {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kReadChunk = 64 << 10;
constexpr std::chrono::seconds kHandshakeTimeout{10};
constexpr std::chrono::seconds kMaxBackoff{30};
// The most of a PUBLISH's variable part before its payload that a refusal reads:
// its topic (at most 65,535 bytes and its length), packet id and properties' length.
constexpr std::size_t kPublishHead = 65'535 + 2 + 2 + 4;

std::string os_error(int error) { return std::strerror(error); }

}  // namespace

MqttTrigger::MqttTrigger(TriggerSpec spec, MqttOptions options)
    : Trigger(std::move(spec)), o_(std::move(options)) {
  name_ = "mqtt trigger '" + this->spec().name + "': " + o_.url;
  keep_alive_ = std::chrono::seconds(o_.keep_alive);
}

MqttTrigger::~MqttTrigger() {
  if (fd_ >= 0 && state_ >= State::kHandshake) {
    write_disconnect(out_);  // a normal disconnect: a persistent session stays with the broker
    flush();
  }
  close_socket();
}

void MqttTrigger::say(std::string message, bool warning) {
  if (started()) {
    notice(name_ + ": " + message, warning);
  } else {
    said_early_.emplace_back(warning, std::move(message));
  }
}

Result<void> MqttTrigger::open(EventLoop& loop) noexcept {
  try {
    loop_ = &loop;
    if (o_.tls.enable) {
      auto context = TlsContext::make(o_.tls, "spec.triggers." + spec().name + ".attributes");
      if (!context) return context.error();
      tls_context_ = std::move(*context);
    }
    connect();
    return {};
  } catch (const std::exception& e) {
    return Error{name_ + ": " + e.what()};
  }
}

void MqttTrigger::connect() {
  addresses_.clear();
  next_address_ = 0;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(o_.port);
  if (const int rc = getaddrinfo(o_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    lost(std::string("cannot resolve ") + o_.host + " (" + gai_strerror(rc) + ")");
    return;
  }
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const auto* bytes =
        reinterpret_cast<const char*>(a->ai_addr);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    addresses_.emplace_back(bytes, bytes + a->ai_addrlen);
  }
  freeaddrinfo(found);
  connect_next_address();
}

// Tries the resolved addresses in turn; the last one's failure is the connection's.
void MqttTrigger::connect_next_address() {
  while (next_address_ < addresses_.size()) {
    const auto& address = addresses_[next_address_++];
    const auto* sa = reinterpret_cast<const sockaddr*>(
        address.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    fd_ = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      lost("cannot make a socket (" + os_error(errno) + ")");
      return;
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    attempt_at_ = Clock::now();
    const int rc = ::connect(fd_, sa, static_cast<socklen_t>(address.size()));
    if (rc != 0 && errno != EINPROGRESS) {
      const int error = errno;
      close_socket();
      if (next_address_ < addresses_.size()) continue;
      lost(os_error(error));
      return;
    }
    state_ = State::kConnecting;
    if (auto ok = loop_->watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this); !ok) {
      lost(ok.error().message);
      return;
    }
    if (rc == 0) secure();
    return;
  }
  lost("no address for " + o_.host);
}

void MqttTrigger::secure() {
  if (!tls_context_) {
    connected();
    return;
  }
  auto session = TlsSession::start(*tls_context_, fd_, o_.host);
  if (!session) {
    lost(session.error().message);
    return;
  }
  tls_ = std::move(*session);
  state_ = State::kTls;
  switch (tls_->handshake()) {
    case TlsSession::Step::kDone:
      connected();
      return;
    case TlsSession::Step::kWant:
      return;  // on_ready goes on with it
    case TlsSession::Step::kFailed:
      lost(tls_->error());
      return;
  }
}

ssize_t MqttTrigger::receive(char* into, std::size_t size) {
  return tls_ ? tls_->read(into, size) : ::recv(fd_, into, size, 0);
}

ssize_t MqttTrigger::transmit(const char* from, std::size_t size) {
  return tls_ ? tls_->write(from, size) : ::send(fd_, from, size, MSG_NOSIGNAL);
}

void MqttTrigger::on_ready(std::uint32_t events) {
  if (state_ == State::kConnecting) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error == EINPROGRESS) return;
    if (error != 0) {
      close_socket();
      if (next_address_ < addresses_.size()) {
        connect_next_address();
      } else {
        lost(os_error(error));
      }
      return;
    }
    secure();
    if (state_ != State::kHandshake) return;  // TLS goes on, or failed
  } else if (state_ == State::kTls) {
    switch (tls_->handshake()) {
      case TlsSession::Step::kDone:
        connected();
        break;
      case TlsSession::Step::kWant:
        return;
      case TlsSession::Step::kFailed:
        lost(tls_->error());
        return;
    }
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readable_ = true;
  service();
}

void MqttTrigger::connected() {
  state_ = State::kHandshake;
  Connect c;
  c.client_id = o_.client_id;
  c.username = o_.username;
  c.password = o_.password;
  c.clean_start = o_.clean_session;
  c.keep_alive = static_cast<std::uint16_t>(o_.keep_alive);
  c.session_expiry = o_.clean_session ? 0 : 0xFFFFFFFF;  // MQTT 3's persistent session: kept until resumed
  c.receive_maximum = static_cast<std::uint16_t>(std::clamp(o_.max_in_flight, 1, 65535));
  if (auto ok = write_connect(out_, c); !ok) {
    lost(ok.error().message);
    return;
  }
  readable_ = true;
  flush();
}

void MqttTrigger::close_socket() {
  if (fd_ < 0) return;
  if (tls_ && state_ >= State::kHandshake) tls_->shutdown();
  tls_.reset();
  if (loop_ != nullptr) loop_->unwatch(fd_);
  ::close(fd_);
  fd_ = -1;
}

void MqttTrigger::close_connection() {
  close_socket();
  state_ = State::kDown;
  ++generation_;
  running_.clear();
  in_.clear();
  in_at_ = 0;
  skip_ = 0;
  out_.clear();
  readable_ = false;
  ping_sent_ = {};
}

void MqttTrigger::lost(const std::string& reason) {
  const std::string why = reason;  // NOLINT(performance-unnecessary-copy-initialization): `reason` may live
                                   // in what is closed below
  const bool was_up = state_ == State::kUp;
  close_connection();
  if (!said_down_ || was_up) {
    said_down_ = true;
    say(ever_connected_ ? "disconnected (" + why + "); reconnecting, 1 s doubling to 30 s"
                        : "cannot connect yet (" + why + "); retrying, 1 s doubling to 30 s",
        true);
  }
  retry_at_ = Clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void MqttTrigger::on_start() {
  for (auto& [warning, message] : said_early_) notice(name_ + ": " + message, warning);
  said_early_.clear();
  if (state_ == State::kConnected) subscribe();
  // Waits (briefly) for the broker's SUBACK, so that a message published after the
  // ready line is ours.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (fd_ >= 0 && state_ != State::kUp && state_ != State::kConnected) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd_, static_cast<short>(POLLIN | (state_ == State::kConnecting || !out_.empty() ? POLLOUT : 0)),
             0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    std::uint32_t events = 0;
    if ((p.revents & POLLOUT) != 0) events |= EPOLLOUT;
    if ((p.revents & ~POLLOUT) != 0) events |= EPOLLIN;
    on_ready(events);
  }
  service();
}

void MqttTrigger::subscribe() {
  std::vector<std::pair<std::string, int>> filters;
  for (const auto& s : o_.subscriptions) filters.emplace_back(s.topic, s.qos);
  subscribe_id_ = next_packet_id();
  if (auto ok = write_subscribe(out_, subscribe_id_, filters); !ok) {
    say("cannot subscribe: " + ok.error().message, true);
    return;
  }
  state_ = State::kSubscribing;
  flush();
}

std::uint16_t MqttTrigger::next_packet_id() noexcept {
  if (++packet_id_ == 0) packet_id_ = 1;
  return packet_id_;
}

bool MqttTrigger::can_take() const noexcept {
  return started() && !draining_ && !redeliver_ && in_flight_ < o_.max_in_flight;
}

void MqttTrigger::service() {
  for (;;) {
    process();
    if (fd_ < 0 || !readable_ || state_ < State::kHandshake) break;
    const std::size_t before = buffered();
    read_available();
    if (fd_ < 0 || buffered() == before) break;
  }
  if (redeliver_ && in_flight_ == 0 && fd_ >= 0) {
    // What failed is delivered again on the next connection to the same session.
    write_disconnect(out_);
    flush();
    close_connection();
    redeliver_ = false;
    retry_at_ = Clock::now() + redeliver_backoff_;
    redeliver_backoff_ = std::min(redeliver_backoff_ * 2, kMaxBackoff);
    return;
  }
  flush();
}

void MqttTrigger::read_available() {
  const std::size_t cap = o_.max_body_bytes + kPublishHead + kReadChunk;
  while (fd_ >= 0 && buffered() < cap) {
    if (in_at_ > 0 && in_at_ == in_.size()) {
      in_.clear();
      in_at_ = 0;
    }
    const std::size_t old = in_.size();
    in_.resize(old + kReadChunk);
    const ssize_t n = receive(in_.data() + old, kReadChunk);
    in_.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      ping_sent_ = {};  // the broker is there
      if (skip_ > 0) {  // the rest of a refused oversize message
        const std::size_t dropped = std::min(skip_, static_cast<std::size_t>(n));
        in_.erase(old, dropped);
        skip_ -= dropped;
      }
      continue;
    }
    if (n == 0) {
      lost("the broker closed the connection");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readable_ = false;
      return;
    }
    lost(tls_ && errno == EPROTO ? tls_->error() : os_error(errno));
    return;
  }
}

void MqttTrigger::process() {
  while (fd_ >= 0 && state_ >= State::kHandshake && skip_ == 0) {
    const std::string_view bytes = std::string_view(in_).substr(in_at_);
    const Framed f = frame(bytes);
    if (f.status == Framed::Status::kMalformed) {
      lost("a malformed packet from the broker (" + f.error + ")");
      return;
    }
    if (!f.header_known) break;
    const bool publish = (static_cast<std::uint8_t>(bytes[0]) >> 4) == static_cast<int>(PacketType::kPublish);
    if (!publish && f.remaining_length > kPublishHead) {  // no other packet a broker sends is near this
      lost("a packet of " + std::to_string(f.remaining_length) + " bytes from the broker, not a message");
      return;
    }
    if (publish && !can_take()) break;  // it waits in the buffer, the socket and the broker
    if (publish && f.remaining_length > o_.max_body_bytes + kPublishHead) {
      // Refused before it is whole: its head is read, the rest skipped as it arrives.
      const std::size_t head = std::min(f.remaining_length, kPublishHead);
      if (bytes.size() < f.header_size + head) break;
      Publish message;
      auto payload_at = parse_publish_head(static_cast<std::uint8_t>(bytes[0]) & 0x0F,
                                           bytes.substr(f.header_size, head), message);
      if (!payload_at) {
        lost(payload_at.error().message);
        return;
      }
      refuse_oversize(message, f.remaining_length - std::min(*payload_at, f.remaining_length));
      const std::size_t total = f.header_size + f.remaining_length;
      const std::size_t have = std::min(total, bytes.size());
      in_at_ += have;
      skip_ = total - have;
      continue;
    }
    if (f.status == Framed::Status::kNeedMore) break;
    in_at_ += f.header_size + f.remaining_length;  // the views stay valid: in_ changes only on a read
    handle_packet(f.packet);
  }
  if (fd_ >= 0 && in_at_ > 0 && in_at_ * 2 >= in_.size()) {
    in_.erase(0, in_at_);
    in_at_ = 0;
  }
}

void MqttTrigger::handle_packet(const Packet& packet) {
  switch (packet.type) {
    case PacketType::kConnack:
      handle_connack(packet);
      return;
    case PacketType::kSuback:
      handle_suback(packet);
      return;
    case PacketType::kPublish: {
      Publish message;
      if (auto ok = parse_publish(packet, message); !ok) {
        lost(ok.error().message + " from the broker");
        return;
      }
      handle_publish(message);
      return;
    }
    case PacketType::kPubrel:  // QoS 2: the broker released a message this trigger received
      if (auto id = parse_packet_id(packet)) {
        write_ack(out_, PacketType::kPubcomp, *id);
      } else {
        lost(id.error().message);
      }
      return;
    case PacketType::kPuback:  // of a response this trigger published
    case PacketType::kPubcomp:
    case PacketType::kUnsuback:
      return;
    case PacketType::kPingresp:
      ping_sent_ = {};
      return;
    case PacketType::kDisconnect: {
      Disconnect d;
      std::string why = "the broker disconnected";
      if (parse_disconnect(packet, d)) {
        why += ": " + std::string(reason_text(d.reason));
        if (!d.reason_string.empty()) why += " (" + d.reason_string + ")";
      }
      lost(why);
      return;
    }
    default:
      lost("a packet of type " + std::to_string(static_cast<int>(packet.type)) + " a broker does not send");
      return;
  }
}

void MqttTrigger::handle_connack(const Packet& packet) {
  Connack c;
  if (auto ok = parse_connack(packet, c); !ok) {
    lost(ok.error().message);
    return;
  }
  if (state_ != State::kHandshake) {
    lost("a second CONNACK");
    return;
  }
  if (c.reason >= 0x80) {
    std::string why = "refused: " + std::string(reason_text(c.reason));
    if (!c.reason_string.empty()) why += " (" + c.reason_string + ")";
    lost(why);
    return;
  }
  if (c.server_keep_alive != 0) keep_alive_ = std::chrono::seconds(c.server_keep_alive);
  ever_connected_ = true;
  if (said_down_) say("connected", false);
  said_down_ = false;
  state_ = State::kConnected;
  if (started()) subscribe();
}

void MqttTrigger::handle_suback(const Packet& packet) {
  Suback s;
  if (auto ok = parse_suback(packet, s); !ok) {
    lost(ok.error().message);
    return;
  }
  if (s.packet_id != subscribe_id_) return;
  for (std::size_t i = 0; i < s.reasons.size() && i < o_.subscriptions.size(); ++i) {
    if (s.reasons[i] >= 0x80) {
      say("the broker refused the subscription to " + o_.subscriptions[i].topic + " (" +
              std::string(reason_text(s.reasons[i])) + ")",
          true);
      return;  // connected, not ready
    }
  }
  state_ = State::kUp;
  backoff_ = std::chrono::seconds(1);
}

void MqttTrigger::refuse_oversize(const Publish& head, std::size_t bytes) {
  say("a message on " + std::string(head.topic) + " of " + std::to_string(bytes) + " bytes is over the " +
          std::to_string(o_.max_body_bytes) + "-byte limit: refused",
      true);
  // Refused for good (reason 0x97, quota exceeded): the broker does not send it again.
  if (head.qos == 1) write_ack(out_, PacketType::kPuback, head.packet_id, 0x97);
  if (head.qos == 2) write_ack(out_, PacketType::kPubrec, head.packet_id, 0x97);
}

void MqttTrigger::handle_publish(const Publish& message) {
  if (message.qos > 0 && !running_.insert(message.packet_id).second) return;  // sent again while it runs
  if (message.payload.size() > o_.max_body_bytes) {
    running_.erase(message.packet_id);
    refuse_oversize(message, message.payload.size());
    return;
  }
  // Encoded straight from the packet (views into the read buffer) into a buffer kept across messages.
  detail::EventParts e;
  ids_.next_into(id_);
  e.id = id_;
  e.trigger_kind = "mqtt";
  e.trigger_name = spec().name;
  e.topic = message.topic;
  e.path = message.topic;
  e.has_stream = true;
  e.timestamp = std::chrono::system_clock::now();
  e.body = message.payload;
  e.content_type = message.content_type;
  headers_.assign(message.user_properties.begin(), message.user_properties.end());
  e.headers = headers_;
  const Event event = e.encode_into(encoded_);
  ++in_flight_;
  const auto taken = loop_->now();
  const std::uint64_t generation = generation_;
  const int qos = message.qos;
  const std::uint16_t id = message.packet_id;
  if (message.response_topic.empty()) {
    submit(event, message.topic, [this, taken, generation, qos, id](const Response& r) {
      stats().record(r.status(), loop_->now() - taken);
      answered(r, generation, qos, id);
    });
    return;
  }
  submit(event, message.topic,
         [this, taken, generation, qos, id, reply_to = std::string(message.response_topic),
          correlation = std::string(message.correlation)](const Response& r) {
           stats().record(r.status(), loop_->now() - taken);
           // MQTT 5 request/response: the handler's body to the response topic, with the
           // correlation data, before the request is acknowledged.
           if (fd_ >= 0 && state_ >= State::kConnected) {
             if (auto ok = write_publish(out_, reply_to, r.body(), 1, next_packet_id(), correlation); !ok)
               say("cannot answer on " + reply_to + ": " + ok.error().message, true);
           }
           answered(r, generation, qos, id);
         });
}

void MqttTrigger::answered(const Response& r, std::uint64_t generation, int qos, std::uint16_t packet_id) {
  --in_flight_;
  if (qos == 0 || generation != generation_) return;  // the broker sends it again on the new connection
  running_.erase(packet_id);
  const auto ack = qos == 1 ? PacketType::kPuback : PacketType::kPubrec;
  if (r.status() < 500) {
    write_ack(out_, ack, packet_id);
    redeliver_backoff_ = std::chrono::seconds(1);
  } else if (o_.clean_session) {
    write_ack(out_, ack, packet_id, 0x80);  // the broker keeps no session to deliver it again from
  } else if (!redeliver_) {
    redeliver_ = true;
    say("a message failed (status " + std::to_string(r.status()) + "): reconnecting in " +
            std::to_string(redeliver_backoff_.count()) +
            " s once those in flight are answered, and the broker delivers it again",
        true);
  }
}

void MqttTrigger::flush() {
  while (fd_ >= 0 && !out_.empty() && state_ >= State::kHandshake) {
    const ssize_t n = transmit(out_.data(), out_.size());
    if (n > 0) {
      out_.erase(0, static_cast<std::size_t>(n));
      last_sent_ = Clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT comes back here
    lost(tls_ && errno == EPROTO ? tls_->error() : os_error(errno));
    return;
  }
}

void MqttTrigger::tick(Clock::time_point now) {
  if (fd_ < 0) {
    if (!draining_ && now >= retry_at_) connect();
    return;
  }
  if (state_ < State::kConnected) {
    if (now - attempt_at_ > kHandshakeTimeout) lost("no CONNACK within 10 s");
    return;
  }
  // No answer to a ping, though everything the socket had was read: the broker is gone.
  if (ping_sent_ != Clock::time_point{} && now - ping_sent_ > keep_alive_ && !readable_) {
    lost("no answer to a ping within keepAlive");
    return;
  }
  if (now - last_sent_ >= keep_alive_ / 2 && ping_sent_ == Clock::time_point{}) {
    write_pingreq(out_);
    ping_sent_ = now;
    flush();
  }
}

void MqttTrigger::drain() {
  draining_ = true;  // nothing more is taken; what waits unacknowledged stays with the broker
  service();
}

Json MqttTrigger::describe() const {
  Json subscriptions = Json::array();
  for (const auto& s : o_.subscriptions) subscriptions.push_back(Json{{"topic", s.topic}, {"qos", s.qos}});
  return Json{{"url", o_.url}, {"clientID", o_.client_id}, {"subscriptions", std::move(subscriptions)}};
}

namespace {

// `url`: tcp:// or mqtt://, or ssl://, tls:// or mqtts:// (TLS, port 8883 by default), host[:port].
Result<void> parse_url(const std::string& where, MqttOptions& o) {
  std::string_view rest = o.url;
  bool tls_scheme = false;
  for (std::string_view scheme : {"tcp://", "mqtt://", "ssl://", "tls://", "mqtts://"}) {
    if (rest.rfind(scheme, 0) == 0) {
      rest.remove_prefix(scheme.size());
      tls_scheme = scheme != "tcp://" && scheme != "mqtt://";
      break;
    }
  }
  if (rest.size() == o.url.size())
    return Error{where + ".url: expected tcp://host:port (or ssl://host:port), got '" + o.url + "'"};
  if (tls_scheme) {
    o.tls.enable = true;
    o.port = 8883;
  }
  if (rest.find('@') != std::string_view::npos) {
    return Error{where +
                 ".url: credentials never go in function.yaml: name them in attributes.username/password "
                 "as {env: NAME} or {file: path}"};
  }
  auto hp = split_host_port(rest, o.port, where + ".url", o.url);
  if (!hp) return hp.error();
  o.host = std::move(hp->host);
  o.port = hp->port;
  return {};
}

}  // namespace

Result<std::unique_ptr<Trigger>> make_mqtt_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& /*environment*/) {
  const std::string where = "spec.triggers." + spec.name;
  MqttOptions o;
  o.url = spec.url.empty() ? "tcp://127.0.0.1:1883" : spec.url;
  auto tls = tls_attributes(spec);
  if (!tls) return tls.error();
  o.tls = std::move(*tls);
  if (auto ok = parse_url(where, o); !ok) return ok.error();
  auto subscriptions = spec.attributes.find("subscriptions");
  if (subscriptions == spec.attributes.end() || !subscriptions->is_array() || subscriptions->empty())
    return Error{where + ".attributes.subscriptions: missing (a list of {topic, qos})"};
  for (const auto& s : *subscriptions) {
    Subscription sub;
    if (s.is_string()) {
      sub.topic = s.get<std::string>();
    } else if (s.is_object() && s.contains("topic") && s["topic"].is_string()) {
      sub.topic = s["topic"].get<std::string>();
      if (s.contains("qos")) {
        const auto& q = s["qos"];
        const std::string text = q.is_string() ? q.get<std::string>() : q.dump();
        if (text != "0" && text != "1" && text != "2")
          return Error{where + ".attributes.subscriptions: qos of " + sub.topic +
                       ": expected 0, 1 or 2, got " + text};
        sub.qos = text[0] - '0';
      }
    } else {
      return Error{where + ".attributes.subscriptions: expected {topic, qos} items, got " + s.dump()};
    }
    if (sub.topic.empty()) return Error{where + ".attributes.subscriptions: an empty topic"};
    o.subscriptions.push_back(std::move(sub));
  }
  auto client_id = string_attribute(spec, "clientID", "");
  if (!client_id) return client_id.error();
  o.client_id = *client_id;
  auto clean = boolean_attribute(spec, "cleanSession", true);
  if (!clean) return clean.error();
  o.clean_session = *clean;
  if (o.client_id.empty()) {
    if (!o.clean_session) {
      return Error{where +
                   ".attributes.clientID: cleanSession: false needs a fixed clientID (the broker keeps the "
                   "session under it for the next start)"};
    }
    o.client_id = "nimbus-" + spec.name + "-" + std::to_string(getpid());
  }
  auto keep_alive = integer_attribute(spec, "keepAlive", 30, 5, 65535);
  if (!keep_alive) return keep_alive.error();
  o.keep_alive = static_cast<int>(*keep_alive);
  auto in_flight = max_in_flight_attribute(spec);
  if (!in_flight) return in_flight.error();
  o.max_in_flight = *in_flight;
  auto max_body = max_body_attribute(spec);
  if (!max_body) return max_body.error();
  o.max_body_bytes = *max_body;
  for (auto [key, into] : {std::pair{"username", &o.username}, std::pair{"password", &o.password}}) {
    auto secret = secret_attribute(spec, key);
    if (!secret) return secret.error();
    *into = *secret;
  }
  return std::unique_ptr<Trigger>(std::make_unique<MqttTrigger>(spec, std::move(o)));
}

}  // namespace nimbus::engine::mqtt
