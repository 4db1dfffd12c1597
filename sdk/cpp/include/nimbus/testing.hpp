#pragma once
/// @file
/// Everything a function's unit test needs: event builders, a fake context,
/// binding mocks, and `invoke`, which calls a handler the way the host does.

#include "nimbus/function.hpp"
#include "nimbus/testing/event_builder.hpp"
#include "nimbus/testing/fake_context.hpp"
#include "nimbus/testing/mock_bindings.hpp"

namespace nimbus::testing {

/// Calls `Handler` through the same path as the emulator and the engine: its
/// return value becomes a `Response`, and an exception becomes a 500 with an
/// error log record.
///
/// ```cpp
/// auto r = nimbus::testing::invoke<greet>(ctx, event);
/// EXPECT_EQ(r.status(), 200);
/// ```
template <auto Handler>
Response invoke(Context& ctx, const Event& event) {
  static const nimbus::detail::FunctionEntry entry{nimbus::detail::kAbiVersion,
                                                   sizeof(nimbus::detail::FunctionEntry),
                                                   "test",
                                                   kSdkVersion,
                                                   &nimbus::detail::adapt<Handler>,
                                                   nullptr};
  return nimbus::detail::call_handler(entry, ctx, event);
}

}  // namespace nimbus::testing
