#include "nimbus/emulator/emulator.hpp"

#include <cstdlib>

#include "nimbus/engine/log_capture.hpp"

namespace nimbus::emulator {

Result<std::unique_ptr<Emulator>> Emulator::create(const engine::FunctionConfig& config,
                                                   const std::filesystem::path& library,
                                                   const EmulatorOptions& options,
                                                   Reporter& reporter) noexcept {
  try {
    auto lib = engine::FunctionLibrary::open(library);
    if (!lib) return lib.error();
    auto entry = lib->entry(config.entry_name());
    if (!entry) return entry.error();

    // Bindings: the configured ones become in-memory mocks, unless the
    // command line wires them (or more) otherwise.
    engine::BindingRegistry registry;
    engine::register_builtin_bindings(registry);
    BindingMap bindings;
    for (const auto& spec : config.bindings) {
      // The configured kind is checked even though the emulator mocks it.
      if (!registry.has(spec.kind)) return registry.make(spec).error();
      engine::BindingSpec mock = spec;
      mock.kind = spec.kind == "file" ? "file" : "memory";
      auto b = registry.make(mock);
      if (!b) return b.error();
      bindings[spec.name] = std::move(*b);
    }
    for (const auto& spec : options.bindings) {
      auto b = registry.make(spec);
      if (!b) return b.error();
      bindings[spec.name] = std::move(*b);
    }

    for (const auto& [k, v] : config.env) setenv(k.c_str(), v.c_str(), 1);
    for (const auto& [k, v] : options.env) setenv(k.c_str(), v.c_str(), 1);

    std::unique_ptr<Emulator> emu(new Emulator());
    emu->config_ = config;
    emu->library_ = std::make_unique<engine::FunctionLibrary>(std::move(*lib));
    emu->entry_ = *entry;
    emu->reporter_ = &reporter;
    emu->sink_ = std::make_unique<Sink>(reporter, emu->tap_);
    emu->context_ = std::make_unique<Context>(Context::Options{
        config.name, config.version, 0, Logger(emu->sink_.get(), options.log_level), std::move(bindings)});
    auto init = call_init(*emu->entry_, *emu->context_);
    if (!init) return Error{config.file.string() + ": " + init.error().message};
    // The tap sees invocations only, not the init hook.
    emu->tap_ = options.tap;
    emu->context_->observe_bindings(options.tap);
    return emu;
  } catch (const std::exception& e) {
    return Error{config.file.string() + ": " + e.what()};
  }
}

Response Emulator::invoke(const Event& event, std::string_view origin) {
  reporter_->begin_event(event, origin);
  auto start = std::chrono::steady_clock::now();
  context_->begin_event(event.trigger_kind(), event.trigger_name(), start + config_.event_timeout);
  if (tap_ != nullptr) tap_->begin(event);
  Response response;
  {
    const engine::InvocationLogs logs(*context_, event);
    response = call_handler(*entry_, *context_, event);
    logs.finish(response);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  if (tap_ != nullptr) tap_->end(response, took);
  reporter_->end_event(response, took);
  return response;
}

RunSummary Emulator::run(format::EventFileFeed& feed) {
  RunSummary s;
  while (auto item = feed.next()) {
    if (!item->event) {
      reporter_->error(item->origin, item->event.error().message);
      ++s.unreadable;
      continue;
    }
    EventBuffer buffer(*item->event);
    Response r = invoke(buffer.event(), item->origin);
    ++(r.status() >= 500 ? s.failed : s.ok);
  }
  reporter_->summary(s.ok, s.failed, s.unreadable);
  return s;
}

}  // namespace nimbus::emulator
