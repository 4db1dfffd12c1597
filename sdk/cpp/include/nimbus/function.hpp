#pragma once
/// @file
/// Registering a handler: `NIMBUS_FUNCTION(handler)`.

#include "nimbus/context.hpp"
#include "nimbus/detail/function_entry.hpp"
#include "nimbus/event.hpp"
#include "nimbus/response.hpp"
#include "nimbus/version.hpp"

// NOLINTBEGIN(cppcoreguidelines-macro-usage): the registration macros export C symbols.

/// Registers `handler` with an init hook `init` (`void init(nimbus::Context&)`),
/// run once per worker before its first event.
#define NIMBUS_FUNCTION_WITH_INIT(handler, init)                                                \
  extern "C" __attribute__((visibility("default")))                                             \
  const ::nimbus::detail::FunctionEntry* nimbus_function_##handler() noexcept {                 \
    static const ::nimbus::detail::FunctionEntry entry{::nimbus::detail::kAbiVersion,           \
                                                       sizeof(::nimbus::detail::FunctionEntry), \
                                                       #handler,                                \
                                                       NIMBUS_SDK_VERSION,                      \
                                                       &::nimbus::detail::adapt<handler>,       \
                                                       (init)};                                 \
    return &entry;                                                                              \
  }

/// Registers `handler` (`R handler(nimbus::Context&, const nimbus::Event&)`,
/// where R is `nimbus::Response`, `std::string` or `nimbus::Json`) as a
/// function of this library, named after it.
///
/// ```cpp
/// nimbus::Response greet(nimbus::Context& ctx, const nimbus::Event& event) { ... }
/// NIMBUS_FUNCTION(greet)
/// ```
#define NIMBUS_FUNCTION(handler) NIMBUS_FUNCTION_WITH_INIT(handler, nullptr)

// NOLINTEND(cppcoreguidelines-macro-usage)
