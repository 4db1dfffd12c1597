#include "nimbus/engine/function_host.hpp"

#include <cstdlib>

#include "function_call.hpp"
#include "nimbus/detail/context_access.hpp"
#include "nimbus/engine/log_capture.hpp"
#include "nimbus/function.hpp"

namespace nimbus::engine {

// What ctx.platform() asks of the host: acknowledgements to where the options say, calls to
// other functions over HTTP.
class FunctionHost::Platform final : public detail::PlatformHost {
 public:
  explicit Platform(std::function<Result<void>(const QualifiedOffset&)> ack) : ack_(std::move(ack)) {}
  Result<void> explicit_ack(const QualifiedOffset& offset) override {
    if (!ack_) return Error{"explicit_ack: no stream trigger runs this function here"};
    return ack_(offset);
  }
  Result<Response> call_function(std::string_view name, const FunctionCall& call,
                                 std::chrono::milliseconds timeout) override {
    return call_function_over_http(name, call, timeout);
  }

 private:
  std::function<Result<void>(const QualifiedOffset&)> ack_;
};

FunctionHost::~FunctionHost() {
  terminate();  // if nobody did: the callbacks run while the library is loaded
}  // the context (bindings, user data) goes before the library

void FunctionHost::terminate() noexcept {
  if (context_) detail::ContextAccess::terminate(*context_);
}

Result<std::unique_ptr<FunctionHost>> FunctionHost::open(HostOptions o) noexcept {
  // Errors name the function's file when there is one: "hello/function.yaml: init hook ...".
  std::string file;
  auto named = [&](const std::string& message) {
    return Error{file.empty() ? message : file + ": " + message};
  };
  try {
    file = o.config.file.string();
    auto library = FunctionLibrary::open(o.library);
    if (!library) return library.error();
    auto entry = library->entry(o.config.entry_name());
    if (!entry) return entry.error();

    BindingRegistry builtin;
    if (o.registry == nullptr) register_builtin_bindings(builtin);
    const BindingRegistry& registry = o.registry != nullptr ? *o.registry : builtin;
    BindingMap bindings;
    for (const auto& spec : o.bindings) {
      auto b = registry.make(spec);
      if (!b) return b.error();
      bindings[spec.name] = std::move(*b);
    }

    // Worker threads of one process set the same values: the environment is the function's.
    for (const auto& [k, v] : o.config.env) setenv(k.c_str(), v.c_str(), 1);
    for (const auto& [k, v] : o.env) setenv(k.c_str(), v.c_str(), 1);

    std::unique_ptr<FunctionHost> host(new FunctionHost());
    host->entry_ = *entry;
    host->library_ = std::make_unique<FunctionLibrary>(std::move(*library));
    std::string name = o.config.name.empty() ? std::string(host->entry_->name) : o.config.name;
    host->context_ = std::make_unique<Context>(Context::Options{
        std::move(name), o.config.version, o.worker_id, Logger(o.sink, o.level), std::move(bindings)});
    host->platform_ = std::make_unique<Platform>(std::move(o.explicit_ack));
    detail::ContextAccess::set_platform_host(*host->context_, host->platform_.get());
    host->config_ = std::move(o.config);
    if (auto init = detail::call_init(*host->entry_, *host->context_); !init)
      return named(init.error().message);
    return host;
  } catch (const std::exception& e) {
    return named(e.what());
  }
}

FunctionHost::Invocation FunctionHost::invoke(const Event& event,
                                              std::chrono::steady_clock::time_point deadline,
                                              detail::BindingObserver* observer) noexcept {
  return invoke_at(event, std::chrono::steady_clock::now(), deadline, observer);
}

FunctionHost::Invocation FunctionHost::invoke(const Event& event, std::chrono::nanoseconds timeout,
                                              detail::BindingObserver* observer) noexcept {
  const auto started = std::chrono::steady_clock::now();
  return invoke_at(event, started, started + timeout, observer);
}

FunctionHost::Invocation FunctionHost::invoke_at(const Event& event,
                                                 std::chrono::steady_clock::time_point started,
                                                 std::chrono::steady_clock::time_point deadline,
                                                 detail::BindingObserver* observer) noexcept {
  Invocation result;
  try {
    detail::ContextAccess::begin_event(*context_, event.trigger_kind(), event.trigger_name(),
                                       event.trace_parent(), deadline);
    if (observer != nullptr) detail::ContextAccess::observe_bindings(*context_, observer);
    {
      const InvocationLogs logs(*context_, event);
      result.response = detail::call_handler(*entry_, *context_, event);  // the one place user code is called
      logs.finish(result.response);
    }
    result.took = std::chrono::steady_clock::now() - started;
  } catch (...) {  // the host's own failure (out of memory), not the handler's: still an answer
    result.response = Response::empty(500);
  }
  if (observer != nullptr) detail::ContextAccess::observe_bindings(*context_, nullptr);
  return result;
}

}  // namespace nimbus::engine
