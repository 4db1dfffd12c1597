#pragma once
/// @file
/// The one place a function is set up and called: the emulator, worker
/// processes, worker threads and replay all host a function through it, so a
/// function sees the same Context, Event and logger wherever it runs.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nimbus/bindings.hpp"
#include "nimbus/context.hpp"
#include "nimbus/engine/binding_registry.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/function_library.hpp"
#include "nimbus/event.hpp"
#include "nimbus/logger.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// How to host a function.
struct HostOptions {
  /// Its configuration: name, version, `spec.env`, the entry to call (`entry_name()`).
  FunctionConfig config;
  /// Its shared library (or the embedded Python runtime's).
  std::filesystem::path library;
  /// The bindings to open, by name. Which ones is the host's caller's choice:
  /// the configured ones (the engine), mocks and `--bind` (the emulator).
  std::vector<BindingSpec> bindings;
  /// Environment variables set after `spec.env`, overriding it.
  std::vector<std::pair<std::string, std::string>> env;
  /// The worker's index, from 0 (`Context::worker_id`).
  int worker_id = 0;
  /// Where the function's log records go, the init hook's included; not
  /// owned, and it must outlive the host. Null: nowhere.
  LogSink* sink = nullptr;
  /// The lowest level of records the function writes.
  LogLevel level = LogLevel::kInfo;
  /// The binding kinds there are; null: the built-in ones (`register_builtin_bindings`).
  const BindingRegistry* registry = nullptr;
  /// Where `ctx.platform().explicit_ack` goes: the worker's channel to the
  /// processor, or the emulator's triggers. Null: it is an error.
  std::function<Result<void>(const QualifiedOffset&)> explicit_ack;
};

/// One function, set up in this process: the library opened and its entry
/// checked, the bindings made, the environment set, the `Context` made, and
/// the init hook run.
///
/// ```cpp
/// auto host = FunctionHost::open(std::move(options));   // errors name the file and what was wrong
/// if (!host) { report(host.error()); }
/// auto [response, took] = (*host)->invoke(event, deadline);
/// ```
class FunctionHost {
 public:
  /// Sets the function up and runs its init hook; an error names what failed.
  static Result<std::unique_ptr<FunctionHost>> open(HostOptions options) noexcept;

  FunctionHost(const FunctionHost&) = delete;
  FunctionHost& operator=(const FunctionHost&) = delete;
  ~FunctionHost();

  /// What one invocation gave.
  struct Invocation {
    Response response;
    std::chrono::nanoseconds took{0};  ///< how long the handler ran
  };

  /// Runs the handler on `event`: the context's trigger and deadline set,
  /// binding calls reported to `observer` (null: nobody) during this
  /// invocation only, the invocation's own logs captured when it asks
  /// (`X-Nimbus-Log-Level`, see `InvocationLogs`), and anything the handler
  /// throws answered 500 (`nimbus::detail::call_handler`). Never throws.
  Invocation invoke(const Event& event, std::chrono::steady_clock::time_point deadline,
                    detail::BindingObserver* observer = nullptr) noexcept;
  /// The same, with the deadline `timeout` after the handler starts (one clock read fewer).
  Invocation invoke(const Event& event, std::chrono::nanoseconds timeout,
                    detail::BindingObserver* observer = nullptr) noexcept;
  /// The same, started at `started`: the caller's own clock read, taken just before.
  Invocation invoke_at(const Event& event, std::chrono::steady_clock::time_point started,
                       std::chrono::steady_clock::time_point deadline,
                       detail::BindingObserver* observer) noexcept;

  /// Runs the function's drain and termination callbacks (`ctx.platform()`),
  /// once: when the engine drains a worker, when the emulator stops, and at
  /// the latest when the host goes. What they throw is logged.
  void terminate() noexcept;

  /// The function's context (per worker; it lives as long as the host).
  [[nodiscard]] Context& context() noexcept { return *context_; }
  /// Its configuration.
  [[nodiscard]] const FunctionConfig& config() const noexcept { return config_; }
  /// The function's name: `metadata.name`, or the entry's when there is no function.yaml.
  [[nodiscard]] const std::string& function_name() const noexcept { return context_->function_name(); }

 private:
  FunctionHost() = default;
  class Platform;
  FunctionConfig config_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<FunctionLibrary> library_;  // declared before the context: destroyed after it
  const detail::FunctionEntry* entry_ = nullptr;
  std::unique_ptr<Context> context_;
};

}  // namespace nimbus::engine
