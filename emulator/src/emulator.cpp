#include "nimbus/emulator/emulator.hpp"

#include <algorithm>
#include <chrono>

namespace nimbus::emulator {

Result<std::vector<engine::BindingSpec>> emulator_bindings(const engine::FunctionConfig& config,
                                                           const std::vector<engine::BindingSpec>& overrides,
                                                           const engine::BindingRegistry& registry) noexcept {
  try {
    std::vector<engine::BindingSpec> out;
    for (const auto& spec : config.bindings) {
      // The configured kind is checked even though the emulator mocks it, and the mock gives
      // the interfaces the kind gives: a handler that asks a kind for what it has not fails here too.
      if (!registry.has(spec.kind)) return registry.make(spec).error();
      engine::BindingSpec mock = spec;
      if (spec.kind != "file") {
        mock.kind = "memory";
        mock.interfaces = registry.interfaces(spec.kind);
      }
      out.push_back(std::move(mock));
    }
    for (const auto& spec : overrides) {
      engine::BindingSpec b = spec;
      // Over a configured binding, --bind keeps its secret (a password is never on the command
      // line), and its attributes when the kind is the configured one.
      auto configured = std::find_if(config.bindings.begin(), config.bindings.end(),
                                     [&](const engine::BindingSpec& c) { return c.name == spec.name; });
      if (configured != config.bindings.end()) {
        if (b.secret.is_null()) b.secret = configured->secret;
        if (b.kind == configured->kind && b.attributes.empty()) b.attributes = configured->attributes;
      }
      std::erase_if(out, [&](const engine::BindingSpec& o) { return o.name == spec.name; });
      out.push_back(std::move(b));
    }
    return out;
  } catch (const std::exception& e) {
    return Error{config.file.string() + ": " + e.what()};
  }
}

Result<std::unique_ptr<Emulator>> Emulator::create(const engine::FunctionConfig& config,
                                                   const std::filesystem::path& library,
                                                   const EmulatorOptions& options,
                                                   Reporter& reporter) noexcept {
  try {
    engine::BindingRegistry registry;
    engine::register_builtin_bindings(registry);
    auto bindings = emulator_bindings(config, options.bindings, registry);
    if (!bindings) return bindings.error();

    std::unique_ptr<Emulator> emu(new Emulator());
    emu->reporter_ = &reporter;
    emu->sink_ = std::make_unique<Sink>(reporter, emu->tap_);
    engine::HostOptions host;
    host.config = config;
    host.library = library;
    host.bindings = std::move(*bindings);
    host.env = options.env;
    host.sink = emu->sink_.get();
    host.level = options.log_level;
    host.registry = &registry;
    // ctx.platform().explicit_ack: to the running trigger whose topic it is.
    host.explicit_ack = [e = emu.get()](const QualifiedOffset& q) -> Result<void> {
      for (auto* t : e->triggers_) {
        if (t->explicit_ack(q)) return {};
      }
      return Error{"explicit_ack: no trigger running here reads " + q.topic +
                   " with explicitAckMode enable or explicitOnly"};
    };
    auto opened = engine::FunctionHost::open(std::move(host));
    if (!opened) return opened.error();
    emu->host_ = std::move(*opened);
    emu->tap_ = options.tap;  // the tap sees invocations only, not the init hook
    return emu;
  } catch (const std::exception& e) {
    return Error{config.file.string() + ": " + e.what()};
  }
}

Response Emulator::invoke(const Event& event, std::string_view origin) {
  reporter_->begin_event(event, origin);
  if (tap_ != nullptr) tap_->begin(event);
  auto [response, took] = host_->invoke(event, host_->config().event_timeout, tap_);
  if (tap_ != nullptr) tap_->end(response, took);
  reporter_->end_event(response, took);
  return response;
}

void Emulator::submit(const Event& event, std::string_view origin, Done done) {
  const Response r = invoke(event, origin);
  ++(r.status() >= 500 ? summary_.failed : summary_.ok);
  done(r);
}

void Emulator::reject(std::string_view origin, std::string_view why) {
  reporter_->error(origin, why);
  ++summary_.unreadable;
}

void Emulator::notice(std::string_view message, bool warning) { reporter_->notice(message, warning); }

RunSummary Emulator::run(engine::EventLoop& loop, std::span<engine::Trigger* const> triggers,
                         const std::atomic<bool>* stop) {
  summary_ = {};
  triggers_ = triggers;
  for (auto* t : triggers) t->start(*this);
  const auto all = [&](auto&& test) { return std::all_of(triggers.begin(), triggers.end(), test); };
  bool draining = false;
  auto next_tick = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    for (auto* t : triggers) t->after_poll();  // a file's events are handled here, one after another
    if (stop != nullptr && stop->load() && !draining) {
      draining = true;
      for (auto* t : triggers) t->drain();
    }
    if (all([](engine::Trigger* t) { return t->idle(); }) &&
        (draining || all([](engine::Trigger* t) { return t->exhausted(); }))) {
      break;
    }
    loop.wait(100);  // requests and ticks are handled as they arrive; a stop is seen within 0.1 s
    if (auto now = std::chrono::steady_clock::now(); now > next_tick) {
      for (auto* t : triggers) t->tick(now);
      next_tick = now + std::chrono::seconds(1);
    }
  }
  if (draining)
    host_->terminate();  // stopped (Ctrl-C, SIGTERM): the function's drain and termination callbacks
  triggers_ = {};
  reporter_->metrics(host_->context().metrics().snapshot());
  reporter_->summary(summary_.ok, summary_.failed, summary_.unreadable);
  return summary_;
}

}  // namespace nimbus::emulator
