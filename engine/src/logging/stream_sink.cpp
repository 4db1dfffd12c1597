// The `redis` and `nats` log sinks: the records published through the binding kinds of the
// same names (one mechanism for reaching those services), from a queued sink's thread.
#include <exception>

#include "nimbus/engine/binding_registry.hpp"
#include "queued_sink.hpp"

namespace nimbus::engine::logging {
namespace {

// A sink publishing each record to `topic_key`'s topic through a `kind` publish binding.
Result<std::unique_ptr<LogEntrySink>> publishing_sink(const LogSinkSpec& spec, const std::string& kind,
                                                      const char* topic_key) {
  const Attributes a{spec.attributes, spec.origin};
  auto topic = string_attribute(a, topic_key, "");
  if (!topic) return topic.error();
  if (topic->empty()) return Error{spec.origin + "." + topic_key + ": missing (where the records go)"};
  auto url = string_attribute(a, "url", "");
  if (!url) return url.error();
  if (url->empty()) return Error{spec.origin + ".url: missing (the " + kind + " server)"};
  auto queue = queue_options(a);
  if (!queue) return queue.error();
  BindingSpec binding;
  binding.name = "log sink";
  binding.kind = kind;
  binding.url = *url;
  binding.attributes = spec.attributes;  // the kind's own (tls, user, ...); the sink's are ignored there
  if (auto it = spec.attributes.find("secret"); it != spec.attributes.end()) binding.secret = *it;
  binding.base_dir = spec.base_dir;
  binding.origin = spec.origin;
  BindingRegistry kinds;
  register_builtin_bindings(kinds);
  auto made = kinds.make(binding);
  if (!made) return made.error();
  std::shared_ptr<Binding> held = std::move(*made);
  auto* publisher = dynamic_cast<Publisher*>(held.get());
  if (publisher == nullptr) return Error{spec.origin + ": the " + kind + " kind cannot publish"};
  auto publish = [held, publisher, topic = *topic](const std::vector<std::string>& records) {
    std::size_t delivered = 0;
    for (const auto& r : records) {
      try {
        publisher->publish(topic, r);
        ++delivered;
      } catch (const std::exception&) {  // the server went away: this one is lost, the next may go
      }
    }
    return delivered;
  };
  return std::unique_ptr<LogEntrySink>(std::make_unique<QueuedSink>(*queue, std::move(publish)));
}

}  // namespace

Result<std::unique_ptr<LogEntrySink>> make_redis_sink(const LogSinkSpec& spec) {
  return publishing_sink(spec, "redis", "stream");
}

Result<std::unique_ptr<LogEntrySink>> make_nats_sink(const LogSinkSpec& spec) {
  return publishing_sink(spec, "nats", "subject");
}

}  // namespace nimbus::engine::logging
