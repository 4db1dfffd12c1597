#pragma once
// The built-in binding kinds, one file each; register_builtin_bindings names them.

#include <memory>

#include "nimbus/bindings.hpp"
#include "nimbus/engine/attributes.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine::bindings {

/// A binding's `attributes`, for the readers in attributes.hpp: their errors name
/// `<origin>: spec.dataBindings.<name>.attributes.<key>`.
[[nodiscard]] inline Attributes attributes_of(const BindingSpec& spec) {
  return {spec.attributes, spec.origin + ": spec.dataBindings." + spec.name + ".attributes"};
}

/// The interfaces a `memory` binding gives unless told otherwise: all of them.
constexpr std::string_view kMemoryInterfaces = "kv, objects, publish";

/// `memory`: an empty in-memory key-value store, object store and a publisher that keeps what it is given
/// (`MemoryPublisher`), or only the interfaces `spec.interfaces` names.
Result<std::shared_ptr<Binding>> make_memory(const BindingSpec& spec);

/// `file`: an in-memory key-value store seeded from a JSON object file (`path`,
/// relative to where it was declared). Writes are not written back, so a
/// fixture stays as it is.
Result<std::shared_ptr<Binding>> make_file_kv(const BindingSpec& spec);

/// `fs`: the object store on a directory (`path`, relative to where it was declared; made if
/// absent). A key is a relative `/`-separated path inside it; a put writes a temporary file
/// beside the object and renames it over, so a reader sees the old object or the new one whole.
Result<std::shared_ptr<Binding>> make_fs(const BindingSpec& spec);

/// `redis`: key-value and publish on a Redis server (`url`: redis://host:port[/db]; the
/// password, if any, from `secret`). Connected before the worker is ready: a server that
/// refuses is an error naming the binding.
Result<std::shared_ptr<Binding>> make_redis(const BindingSpec& spec);

/// `sqlite`: the key-value interface in an SQLite database file (`path`, made if absent; WAL
/// mode, safe across the worker processes of an engine). Attributes: `table` (default
/// nimbus_kv), `busyTimeout` (how long a call waits for another process's write, default 5s).
Result<std::shared_ptr<Binding>> make_sqlite(const BindingSpec& spec);

/// `nats`: publish to the subjects of a NATS server (`url`: nats://host:port or tls://; the
/// trigger's `user`, `password`, `token` and TLS attributes; `secret` is the token, or the
/// password when `user` is given). Connected before the worker is ready. A publish returns
/// once the server has it (a flush), unless `attributes.flush` is false.
Result<std::shared_ptr<Binding>> make_nats(const BindingSpec& spec);

/// `kafka`: publish to the topics of a Kafka cluster (`attributes.brokers`, the trigger's
/// `sasl` and TLS attributes; `secret` is the SASL password). A publish returns once the
/// brokers acknowledged it (`acks`: all by default). The brokers are reached before the worker
/// is ready.
Result<std::shared_ptr<Binding>> make_kafka(const BindingSpec& spec);

}  // namespace nimbus::engine::bindings
