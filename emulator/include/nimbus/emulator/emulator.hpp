#pragma once
/// @file
/// The local emulator: runs a function in this process, so a debugger's
/// breakpoints in the function hit, with mocked data bindings.

#include <atomic>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "nimbus/context.hpp"
#include "nimbus/emulator/reporter.hpp"
#include "nimbus/engine/binding_registry.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/function_host.hpp"
#include "nimbus/engine/tap.hpp"
#include "nimbus/engine/trigger.hpp"
#include "nimbus/result.hpp"

namespace nimbus::emulator {

/// How to run a function in the emulator.
struct EmulatorOptions {
  /// Bindings given on the command line; they replace configured ones of the
  /// same name. Configured bindings not named here become in-memory mocks.
  std::vector<engine::BindingSpec> bindings;
  /// Environment set after `spec.env`, overriding it.
  std::vector<std::pair<std::string, std::string>> env;
  LogLevel log_level = LogLevel::kDebug;
  /// Sees every invocation (a recorder, a replayer); optional, not owned.
  engine::InvocationTap* tap = nullptr;
};

/// Totals of a run.
struct RunSummary {
  std::size_t ok = 0;
  std::size_t failed = 0;      ///< answered with a 5xx status
  std::size_t unreadable = 0;  ///< event files that could not be read
  /// 0 when every event was read and answered below 500, else 1.
  [[nodiscard]] int exit_code() const noexcept { return failed + unreadable == 0 ? 0 : 1; }
};

/// The bindings the emulator opens: the configured ones as in-memory mocks
/// (`file` fixtures stay fixtures; every configured kind must still exist),
/// then `overrides` (`--bind`), which replace those of the same name.
Result<std::vector<engine::BindingSpec>> emulator_bindings(const engine::FunctionConfig& config,
                                                           const std::vector<engine::BindingSpec>& overrides,
                                                           const engine::BindingRegistry& registry) noexcept;

/// One function, loaded and initialised in this process.
///
/// ```cpp
/// auto emu = Emulator::create(config, "hello.so", options, reporter);
/// auto feed = format::EventFileFeed::open({"events/"});
/// RunSummary s = emu->run(*feed);
/// ```
class Emulator final : public engine::Submitter {
 public:
  /// Loads `library`, wires bindings, sets the environment and runs the
  /// function's init hook. `reporter` receives logs and results and must
  /// outlive the emulator.
  static Result<std::unique_ptr<Emulator>> create(const engine::FunctionConfig& config,
                                                  const std::filesystem::path& library,
                                                  const EmulatorOptions& options,
                                                  Reporter& reporter) noexcept;

  /// Handles one event and reports it.
  Response invoke(const Event& event, std::string_view origin);
  /// Runs `triggers`, already opened on `loop`, in this process, each event
  /// handled and reported as it comes, until every one has run out (finite
  /// sources: event files) or `stop` is set (Ctrl-C: they drain, what is in
  /// flight is answered); then reports the totals.
  RunSummary run(engine::EventLoop& loop, std::span<engine::Trigger* const> triggers,
                 const std::atomic<bool>* stop = nullptr);

  /// A trigger's event, handled at once (the emulator is its triggers' submitter).
  void submit(const Event& event, std::string_view origin, Done done) override;
  /// An input that could not become an event: reported, and counted unreadable.
  void reject(std::string_view origin, std::string_view why) override;
  /// A trigger's news (a broker down or back): reported, counted nowhere.
  void notice(std::string_view message, bool warning) override;

  [[nodiscard]] Context& context() noexcept { return host_->context(); }

 private:
  Emulator() = default;

  Reporter* reporter_ = nullptr;
  engine::InvocationTap* tap_ = nullptr;
  RunSummary summary_;                          // of the run going on
  std::span<engine::Trigger* const> triggers_;  // of the run going on
  // The function's log sink: the reporter, and the tap when there is one.
  class Sink : public LogSink {
   public:
    Sink(Reporter& reporter, engine::InvocationTap*& tap) : reporter_(reporter), tap_(tap) {}
    void write(const LogRecord& record) override {
      reporter_.write(record);
      if (tap_ != nullptr) tap_->log(record);
    }

   private:
    Reporter& reporter_;
    engine::InvocationTap*& tap_;
  };
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<engine::FunctionHost> host_;  // after the sink it writes to: destroyed before it
};

}  // namespace nimbus::emulator
