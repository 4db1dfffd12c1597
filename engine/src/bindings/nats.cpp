// `nats`: the publish interface on a NATS server (cnats). One connection per worker, opened
// before the worker says it is ready and shared by its threads; cnats reconnects on its own
// when the server goes away, and a publish meanwhile fails once its flush times out. Headers
// go as NATS message headers (NATS 2.2 and later).
#include <nats/nats.h>

#include <memory>
#include <string>

#include "../clients/nats_client.hpp"
#include "kinds.hpp"

namespace nimbus::engine::bindings {
namespace {

using nats::status_text;

class NatsPublisher final : public Publisher {
 public:
  NatsPublisher(std::string name, nats::NatsServer server, bool flush, int flush_timeout_ms)
      : name_(std::move(name)),
        server_(std::move(server)),
        flush_(flush),
        flush_timeout_ms_(flush_timeout_ms) {}
  ~NatsPublisher() override {
    if (connection_ != nullptr) {
      natsConnection_FlushTimeout(connection_, 1000);  // what was published without a flush
      natsConnection_Destroy(connection_);
    }
  }
  NatsPublisher(const NatsPublisher&) = delete;
  NatsPublisher& operator=(const NatsPublisher&) = delete;

  // Connects; the error names the binding and the URL, never a credential.
  Result<void> connect(const std::string& where) {
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK) return Error{this->where() + ": out of memory"};
    std::unique_ptr<natsOptions, void (*)(natsOptions*)> owned(opts, natsOptions_Destroy);
    natsOptions_SetName(opts, ("nimbus binding " + name_).c_str());
    natsOptions_SetMaxReconnect(opts, -1);  // forever: a publish meanwhile is an error for its call
    natsOptions_SetReconnectWait(opts, 500);
    if (auto ok = nats::configure(opts, server_, where); !ok) return ok.error();
    if (natsStatus s = natsConnection_Connect(&connection_, opts); s != NATS_OK) {
      connection_ = nullptr;
      return Error{this->where() + ": cannot connect: " + status_text(s)};
    }
    return {};
  }

 protected:
  void do_publish(std::string_view topic, std::string_view payload, const MessageHeaders& headers) override {
    const std::string subject(topic);
    natsMsg* message = nullptr;
    natsStatus s =
        natsMsg_Create(&message, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
    if (s != NATS_OK) fail(topic, s);
    std::unique_ptr<natsMsg, void (*)(natsMsg*)> owned(message, natsMsg_Destroy);
    for (const auto& [key, value] : headers) {
      if (key.empty() || (key + value).find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos ||
          key.find(':') != std::string::npos) {
        throw BindingError(where() + ": publish to '" + std::string(topic) + "': header '" + key +
                           "': a NATS header is a line: no ':' in its name, no line break or NUL in either");
      }
      s = natsMsgHeader_Add(message, key.c_str(), value.c_str());
      if (s != NATS_OK) fail(topic, s);
    }
    s = natsConnection_PublishMsg(connection_, message);
    if (s == NATS_OK && flush_) s = natsConnection_FlushTimeout(connection_, flush_timeout_ms_);
    if (s != NATS_OK) fail(topic, s);
  }

 private:
  [[nodiscard]] std::string where() const { return "binding '" + name_ + "' (nats, " + server_.url + ")"; }
  [[noreturn]] void fail(std::string_view topic, natsStatus s) const {
    throw BindingError(where() + ": publish to '" + std::string(topic) + "': " + status_text(s));
  }

  std::string name_;
  nats::NatsServer server_;  // its credentials never in a message
  bool flush_;
  int flush_timeout_ms_;
  natsConnection* connection_ = nullptr;  // cnats's connection is safe to share between threads
};

}  // namespace

Result<std::shared_ptr<Binding>> make_nats(const BindingSpec& spec) {
  const Attributes attributes = attributes_of(spec);
  auto server = nats::server_attributes(attributes, spec.url,
                                        spec.origin + ": spec.dataBindings." + spec.name + ".url");
  if (!server) return server.error();
  auto secret = secret_value(spec.secret, spec.origin + ": spec.dataBindings." + spec.name + ".secret");
  if (!secret) return secret.error();
  if (!secret->empty()) (server->user.empty() ? server->token : server->password) = std::move(*secret);
  auto flush = boolean_attribute(attributes, "flush", true);
  if (!flush) return flush.error();
  auto timeout = integer_attribute(attributes, "flushTimeoutMs", 5000, 1, 600'000);
  if (!timeout) return timeout.error();
  auto publisher =
      std::make_shared<NatsPublisher>(spec.name, std::move(*server), *flush, static_cast<int>(*timeout));
  if (auto ok = publisher->connect("spec.dataBindings." + spec.name + ".attributes"); !ok)
    return Error{spec.origin + ": " + ok.error().message};
  return std::shared_ptr<Binding>(std::move(publisher));
}

}  // namespace nimbus::engine::bindings
