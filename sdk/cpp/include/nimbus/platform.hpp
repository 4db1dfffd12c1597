#pragma once
/// @file
/// `ctx.platform()`: what nuclio's `context.platform` offers a function, with
/// the same names: callbacks for the engine's drain and termination,
/// explicit acknowledgement of stream messages, and calls to other functions.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus {

class Event;
class Context;

/// A stream message's place: its topic (or stream), partition and offset,
/// as `event.topic()`, `event.shard_id()`, `event.offset()` give them.
struct QualifiedOffset {
  std::string topic;
  std::int64_t partition = 0;
  std::int64_t offset = 0;
  /// The place of `event` (its path when it has no topic, as nuclio does).
  static QualifiedOffset from_event(const Event& event);
};

/// A request to another function (`Platform::call_function`).
struct FunctionCall {
  std::string method = "POST";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
  /// The request `event` would be: its method (POST when it has none), path, headers, content type, body.
  static FunctionCall from_event(const Event& event);
};

namespace detail {
struct ContextAccess;

/// What the host does for `Platform` (the engine, the emulator, a test's fake).
class PlatformHost {
 public:
  PlatformHost() = default;
  PlatformHost(const PlatformHost&) = delete;
  PlatformHost& operator=(const PlatformHost&) = delete;
  virtual ~PlatformHost() = default;
  virtual Result<void> explicit_ack(const QualifiedOffset& offset) = 0;
  virtual Result<Response> call_function(std::string_view name, const FunctionCall& call,
                                         std::chrono::milliseconds timeout) = 0;
};
}  // namespace detail

/// The platform a function runs on, one per worker (`ctx.platform()`).
class Platform {
 public:
  using Callback = std::function<void()>;

  /// Called once, when the engine drains (SIGTERM, Ctrl-C in the emulator)
  /// and before the worker exits; replaces an earlier one.
  void set_drain_callback(Callback callback) { drain_ = std::move(callback); }
  /// Called once, after the drain callback, as the worker terminates.
  void set_termination_callback(Callback callback) { termination_ = std::move(callback); }

  /// Acknowledges a stream message the trigger did not (its
  /// `explicitAckMode` is `enable` and the response said
  /// `X-Nuclio-Stream-No-Ack`, or it is `explicitOnly`): for Kafka, commits
  /// the partition up to and including `offset`; for Redis, XACKs the
  /// stream's entries up to it. An error when the host has no stream trigger.
  Result<void> explicit_ack(const QualifiedOffset& offset);

  /// Calls the function `name` over HTTP and returns its response. Its
  /// address comes from the environment variable `NIMBUS_FUNCTION_URL_<NAME>`
  /// (the name upper-cased, other characters than letters and digits as
  /// `_`), set in function.yaml's `spec.env` or outside: never cluster DNS.
  /// An error when the address is unknown, the call fails or times out.
  Result<Response> call_function(std::string_view name, const FunctionCall& call,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  friend struct detail::ContextAccess;
  friend class Context;
  // The drain callback, then the termination callback, each once; what they throw is logged.
  void terminate(Logger& logger) noexcept;

  detail::PlatformHost* host_ = nullptr;
  Callback drain_;
  Callback termination_;
  bool terminated_ = false;
};

}  // namespace nimbus
