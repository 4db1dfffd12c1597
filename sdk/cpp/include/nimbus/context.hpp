#pragma once
/// @file
/// `nimbus::Context`: what a handler can reach besides its event.

#include <any>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "nimbus/bindings.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/metrics.hpp"
#include "nimbus/platform.hpp"

namespace nimbus {

namespace detail {
struct ContextAccess;
}

/// The trigger an event came through.
struct TriggerInfo {
  std::string kind;  ///< "http", "file", "cron", ...
  std::string name;  ///< the trigger's name in function.yaml
};

/// Per-worker state handed to every invocation: logger, identity, deadline,
/// user data and data bindings. One `Context` serves many events of one
/// worker, so anything kept in it (user data, bindings) lives across calls.
///
/// ```cpp
/// nimbus::Response handle(nimbus::Context& ctx, const nimbus::Event& event) {
///   ctx.logger().info_with("start", {{"remaining_ms", ctx.remaining().count()}});
///   auto& cache = ctx.kv("cache");
///   auto* model = ctx.user_data<Model>();   // set by the init hook
///   ...
/// }
/// ```
class Context {
 public:
  /// What the host fixes for a worker's lifetime.
  struct Options {
    std::string function_name;
    std::string function_version = "0";
    int worker_id = 0;
    Logger logger;
    BindingMap bindings;
  };

  explicit Context(Options options) : o_(std::move(options)) {
    for (auto& [name, b] : o_.bindings) {
      if (b) b->adopt(name, nullptr, &trace_parent_);
    }
  }
  // Its bindings point at it (the event's trace): it stays where it was made.
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  Context(Context&&) = delete;
  Context& operator=(Context&&) = delete;
  ~Context() = default;

  /// The function's logger.
  [[nodiscard]] Logger& logger() noexcept { return o_.logger; }
  /// The function's name (`metadata.name`).
  [[nodiscard]] const std::string& function_name() const noexcept { return o_.function_name; }
  /// The function's version.
  [[nodiscard]] const std::string& function_version() const noexcept { return o_.function_version; }
  /// This worker's index, from 0.
  [[nodiscard]] int worker_id() const noexcept { return o_.worker_id; }
  /// The trigger of the event being handled.
  [[nodiscard]] const TriggerInfo& trigger() const noexcept { return trigger_; }
  /// The W3C `traceparent` of the event being handled (`Event::trace_parent`); empty: none.
  [[nodiscard]] const std::string& trace_parent() const noexcept { return trace_parent_; }

  /// When the current event must be answered by.
  [[nodiscard]] std::chrono::steady_clock::time_point deadline() const noexcept { return deadline_; }
  /// Time left until the deadline; zero once it has passed.
  [[nodiscard]] std::chrono::milliseconds remaining() const noexcept;

  /// Per-worker user data, typically set by the init hook.
  [[nodiscard]] std::any& user_data() noexcept { return user_data_; }
  /// The user data as a `T`, or null when it holds something else.
  template <class T>
  [[nodiscard]] T* user_data() noexcept {
    return std::any_cast<T>(&user_data_);
  }

  /// The key-value binding named `name`; throws `BindingError` when there is
  /// none or its kind does not give that interface.
  [[nodiscard]] KeyValueStore& kv(std::string_view name);
  /// The publish binding named `name`; throws `BindingError` likewise.
  [[nodiscard]] Publisher& publisher(std::string_view name);
  /// The object-store binding named `name`; throws `BindingError` likewise.
  [[nodiscard]] ObjectStore& objects(std::string_view name);
  /// The binding named `name`, or null.
  [[nodiscard]] Binding* binding(std::string_view name) const noexcept;
  /// All bindings by name.
  [[nodiscard]] const BindingMap& bindings() const noexcept { return o_.bindings; }

  /// nuclio's `context.platform`: drain and termination callbacks, explicit
  /// acknowledgement of stream messages, calls to other functions.
  [[nodiscard]] Platform& platform() noexcept { return platform_; }

  /// The worker's counters, gauges and histograms, shown at the engine's
  /// `/metrics` summed across workers (`nimbus/metrics.hpp`).
  [[nodiscard]] Metrics& metrics() noexcept { return metrics_; }

 private:
  // The host's operations (detail::ContextAccess): adopting a binding, who observes the
  // calls, and the trigger and deadline of each event.
  friend struct detail::ContextAccess;
  void set_binding(std::string name, std::shared_ptr<Binding> binding) {
    if (binding) binding->adopt(name, observer_, &trace_parent_);
    o_.bindings.insert_or_assign(std::move(name), std::move(binding));
  }
  void observe_bindings(detail::BindingObserver* observer) {
    observer_ = observer;
    for (auto& [name, b] : o_.bindings) {
      if (b) b->observe(observer);  // named when adopted
    }
  }
  void begin_event(std::string_view kind, std::string_view name, std::string_view trace_parent,
                   std::chrono::steady_clock::time_point deadline);
  // The binding `name` as interface `I` (`interface`, described as `what` in the error).
  template <class I>
  I& interface_of(std::string_view name, std::string_view interface, std::string_view what);

  Options o_;
  TriggerInfo trigger_;
  std::string trace_parent_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::any user_data_;
  detail::BindingObserver* observer_ = nullptr;
  Platform platform_;
  Metrics metrics_;
};

}  // namespace nimbus
