#pragma once
/// @file
/// Triggers: what turns what arrives (an HTTP request, a line of an event
/// file; a cron tick or a stream's message later) into `Event`s, hands them
/// to the worker pool or the emulator's host, and answers or acknowledges when
/// the response comes back. Created by kind from `spec.triggers` through an
/// explicit registry: a new source is one folder under `engine/src/triggers/`
/// and one line in `register_builtin_triggers`.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nimbus/engine/attributes.hpp"
#include "nimbus/engine/event_loop.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/kind_registry.hpp"
#include "nimbus/event.hpp"
#include "nimbus/json.hpp"
#include "nimbus/platform.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// Where a trigger hands its events: the engine's worker pool, or the
/// emulator's host in its own process. The same trigger code runs against both.
class Submitter {
 public:
  /// Receives an event's response, exactly once, on the loop's thread.
  using Done = std::function<void(const Response&)>;
  Submitter() = default;
  Submitter(const Submitter&) = delete;
  Submitter& operator=(const Submitter&) = delete;
  virtual ~Submitter() = default;
  /// Runs `event` (its bytes are copied before this returns); `origin` says
  /// where it came from, for reports ("events/get.json", "-:3"), and may be empty.
  virtual void submit(const Event& event, std::string_view origin, Done done) = 0;
  /// Runs `event` after every event submitted before it with the same `lane`
  /// (a stream partition's order); events of different lanes may run in
  /// parallel. One at a time, as the emulator runs them, keeps any order.
  virtual void submit_in_lane(std::uint64_t lane, const Event& event, std::string_view origin, Done done) {
    (void)lane;
    submit(event, origin, std::move(done));
  }
  /// An input that could not become an event (a bad line of an event file):
  /// `why` is one line that names what was wrong and where (it includes `origin`).
  virtual void reject(std::string_view origin, std::string_view why) = 0;
  /// What the operator should know that is not about one event (a broker
  /// down or back, a tick skipped): one line naming the trigger. `warning`:
  /// something is wrong; else news.
  virtual void notice(std::string_view message, bool warning) = 0;
};

/// One trigger's events by status and their latency (the admin port's /metrics).
class TriggerStats {
 public:
  /// Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 17> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                      0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                                      0.5,     1,      2.5,     5,      10};
  /// Counts one answered event.
  void record(int status, std::chrono::nanoseconds latency) noexcept;
  /// Events answered with `status`.
  [[nodiscard]] std::uint64_t events(int status) const noexcept {
    return status >= 100 && status < 600 ? by_status_[static_cast<std::size_t>(status - 100)] : 0;
  }
  /// Events in each latency bucket (the last one past 10 s), their count and total seconds.
  [[nodiscard]] const std::array<std::uint64_t, kBuckets.size() + 1>& buckets() const noexcept {
    return buckets_;
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] double latency_sum() const noexcept { return latency_sum_; }

 private:
  std::array<std::uint64_t, 500> by_status_{};  // index: status - 100
  std::array<std::uint64_t, kBuckets.size() + 1> buckets_{};
  double latency_sum_ = 0;
  std::uint64_t count_ = 0;
};

/// What a trigger's factory is given besides its spec.
struct TriggerEnvironment {
  /// The address network triggers listen on (`nimbus serve --host`).
  std::string host = "0.0.0.0";
  /// What a file trigger reads for "-" (null: "-" is refused).
  std::istream* standard_input = nullptr;
};

/// One source of events. The processor (or the emulator) opens it, starts it
/// with its submitter, calls it on its loop's thread, and drains it on SIGTERM.
/// A trigger counts each answered event in `stats()` (the admin port's
/// /metrics), with the time from its arrival to its answer.
class Trigger {
 public:
  explicit Trigger(TriggerSpec spec) : spec_(std::move(spec)) {}
  Trigger(const Trigger&) = delete;
  Trigger& operator=(const Trigger&) = delete;
  virtual ~Trigger() = default;

  /// Its name, kind, worker count and attributes, from `spec.triggers`.
  [[nodiscard]] const TriggerSpec& spec() const noexcept { return spec_; }
  /// Takes what it needs on `loop` (listens on its port, opens its files);
  /// an error here stops the processor before any worker starts.
  virtual Result<void> open(EventLoop& loop) noexcept = 0;
  /// Starts handing events to `submitter`, which outlives the trigger.
  void start(Submitter& submitter) {
    submitter_ = &submitter;
    on_start();
  }
  /// Once per loop iteration, after the iteration's answers were delivered:
  /// write them out, take the next events.
  virtual void after_poll() {}
  /// About once a second (idle connections, schedules).
  virtual void tick(std::chrono::steady_clock::time_point now) { (void)now; }
  /// Stops taking new events; those in flight are still answered.
  virtual void drain() = 0;
  /// True when nothing it took is unanswered and it holds nothing open.
  [[nodiscard]] virtual bool idle() const = 0;
  /// True when a finite source (event files) has handed over all it had.
  [[nodiscard]] virtual bool exhausted() const { return false; }
  /// False while it cannot take events (its broker unreachable): the admin
  /// port's /ready answers 503 meanwhile.
  [[nodiscard]] virtual bool ready() const { return true; }
  /// The largest event it makes, in bytes: its pool's rings are sized from it.
  [[nodiscard]] virtual std::size_t max_event_bytes() const noexcept { return kDefaultMaxEventBytes; }
  /// A function's `ctx.platform().explicit_ack(offset)`: a stream trigger
  /// whose `explicitAckMode` is `enable` or `explicitOnly` acknowledges the
  /// message(s) there; true when `offset` is one of its topics (the others
  /// ignore it).
  virtual bool explicit_ack(const QualifiedOffset& offset) {
    (void)offset;
    return false;
  }
  /// What `nimbus serve`'s ready line says of it besides its name and kind, e.g. `{"port": 8080}`.
  [[nodiscard]] virtual Json describe() const { return Json::object(); }

  /// Its events by status and latency.
  [[nodiscard]] TriggerStats& stats() noexcept { return stats_; }
  [[nodiscard]] const TriggerStats& stats() const noexcept { return stats_; }

  static constexpr std::size_t kDefaultMaxEventBytes = (std::size_t{1} << 20) + (std::size_t{64} << 10);

 protected:
  /// Called by `start`, once the submitter is set.
  virtual void on_start() {}
  /// Hands `event` to the submitter, moving `done` to it (no copy per event).
  /// An error of the submitter's own never reaches the trigger: before the
  /// submitter took `done` it is answered 500 through it; after (only when
  /// memory runs out) the answer is lost.
  void submit(const Event& event, std::string_view origin, Submitter::Done done) noexcept;
  /// The same, in `lane`'s order (see `Submitter::submit_in_lane`).
  void submit_in_lane(std::uint64_t lane, const Event& event, std::string_view origin,
                      Submitter::Done done) noexcept;
  /// Says what could not become an event.
  void reject(std::string_view origin, std::string_view why) noexcept;
  /// Says what the operator should know (see `Submitter::notice`).
  void notice(std::string_view message, bool warning = true) noexcept;
  [[nodiscard]] bool started() const noexcept { return submitter_ != nullptr; }

 private:
  TriggerSpec spec_;
  TriggerStats stats_;
  Submitter* submitter_ = nullptr;
};

/// A trigger's `attributes`, for the readers in attributes.hpp (`integer_attribute`, ...):
/// their errors name `spec.triggers.<name>.attributes.<key>`.
[[nodiscard]] inline Attributes attributes_of(const TriggerSpec& spec) {
  return {spec.attributes, "spec.triggers." + spec.name + ".attributes"};
}
[[nodiscard]] inline Result<long long> integer_attribute(const TriggerSpec& spec, std::string_view key,
                                                         long long fallback, long long low,
                                                         long long high) noexcept {
  return integer_attribute(attributes_of(spec), key, fallback, low, high);
}
[[nodiscard]] inline Result<bool> boolean_attribute(const TriggerSpec& spec, std::string_view key,
                                                    bool fallback) noexcept {
  return boolean_attribute(attributes_of(spec), key, fallback);
}
[[nodiscard]] inline Result<std::string> string_attribute(const TriggerSpec& spec, std::string_view key,
                                                          std::string fallback) noexcept {
  return string_attribute(attributes_of(spec), key, std::move(fallback));
}
[[nodiscard]] inline Result<std::vector<std::string>> string_list_attribute(const TriggerSpec& spec,
                                                                            std::string_view key) noexcept {
  return string_list_attribute(attributes_of(spec), key);
}
[[nodiscard]] inline Result<std::string> secret_attribute(const TriggerSpec& spec,
                                                          std::string_view key) noexcept {
  return secret_attribute(attributes_of(spec), key);
}
[[nodiscard]] inline Result<TlsAttributes> tls_attributes(const TriggerSpec& spec) noexcept {
  return tls_attributes(attributes_of(spec));
}

/// A stream trigger's `maxInFlight`: the messages it has running at most
/// (reading stops there), by default 64 per worker: enough to keep the
/// workers' rings busy, few enough that a flood waits in the broker.
[[nodiscard]] Result<int> max_in_flight_attribute(const TriggerSpec& spec) noexcept;

/// A stream trigger's `maxBodySize`: the largest message it runs, in bytes
/// (default 1 MiB, at most 256 MiB); larger ones are refused with a logged reason.
[[nodiscard]] Result<std::size_t> max_body_attribute(const TriggerSpec& spec) noexcept;

/// nuclio's `explicitAckMode` of a stream trigger: `disable` (the default:
/// acknowledged when the handler answered below 500), `enable` (the same,
/// unless the response carries the header `X-Nuclio-Stream-No-Ack`; then only
/// `ctx.platform().explicit_ack` acknowledges it), `explicitOnly` (only
/// `explicit_ack` acknowledges).
enum class ExplicitAck { kDisable, kEnable, kExplicitOnly };
[[nodiscard]] Result<ExplicitAck> explicit_ack_attribute(const TriggerSpec& spec) noexcept;
/// True when the handler's answer acknowledges its message under `mode`.
[[nodiscard]] bool acknowledges(ExplicitAck mode, const Response& response) noexcept;

/// Makes a trigger from its spec.
using TriggerFactory =
    std::function<Result<std::unique_ptr<Trigger>>(const TriggerSpec&, const TriggerEnvironment&)>;

/// Makes triggers of the kinds registered with it.
class TriggerRegistry : public KindRegistry<TriggerFactory> {
 public:
  using Factory = TriggerFactory;
  /// Makes the trigger `spec` describes; an unknown kind, or attributes its
  /// kind refuses, are an error naming `spec.triggers.<name>`.
  [[nodiscard]] Result<std::unique_ptr<Trigger>> make(const TriggerSpec& spec,
                                                      const TriggerEnvironment& environment) const noexcept;
};

/// Registers `http` (HTTP/1.1, CloudEvents in every mode), `cron` (a schedule or an interval), `file`
/// (event files, NDJSON and standard input: `attributes: {paths: [...]}`), and the brokers'
/// `kafka-cluster`, `mqtt`, `nats` and `redis-stream` (docs/triggers.md).
void register_builtin_triggers(TriggerRegistry& registry);

}  // namespace nimbus::engine
