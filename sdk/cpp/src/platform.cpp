#include "nimbus/platform.hpp"

#include <exception>

#include "nimbus/event.hpp"

namespace nimbus {

QualifiedOffset QualifiedOffset::from_event(const Event& event) {
  QualifiedOffset q;
  q.topic = std::string(event.topic().empty() ? event.path() : event.topic());
  q.partition = event.shard_id();
  q.offset = event.offset();
  return q;
}

FunctionCall FunctionCall::from_event(const Event& event) {
  FunctionCall call;
  if (!event.method().empty()) call.method = std::string(event.method());
  const std::string_view url = event.url().empty() ? event.path() : event.url();
  call.path = url.empty() || url.front() != '/' ? "/" + std::string(url) : std::string(url);
  for (auto [name, value] : event.headers()) call.headers.emplace_back(name, value);
  call.content_type = event.content_type().empty() ? "text/plain" : std::string(event.content_type());
  call.body = std::string(event.body());
  return call;
}

Result<void> Platform::explicit_ack(const QualifiedOffset& offset) {
  if (host_ == nullptr) return Error{"explicit_ack: this host runs no stream trigger that acknowledges"};
  return host_->explicit_ack(offset);
}

Result<Response> Platform::call_function(std::string_view name, const FunctionCall& call,
                                         std::chrono::milliseconds timeout) {
  if (host_ == nullptr) return Error{"call_function: this host cannot call functions"};
  return host_->call_function(name, call, timeout);
}

void Platform::terminate(Logger& logger) noexcept {
  if (terminated_) return;
  terminated_ = true;
  for (auto [which, callback] : {std::pair{"drain", &drain_}, std::pair{"termination", &termination_}}) {
    if (!*callback) continue;
    try {
      (*callback)();
    } catch (const std::exception& e) {
      try {
        logger.error_with(std::string("the ") + which + " callback failed", {{"error", e.what()}});
      } catch (...) {
      }
    } catch (...) {
      try {
        logger.error_with(std::string("the ") + which + " callback failed");
      } catch (...) {
      }
    }
  }
}

}  // namespace nimbus
