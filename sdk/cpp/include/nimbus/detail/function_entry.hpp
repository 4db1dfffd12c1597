#pragma once
/// @file
/// What `NIMBUS_FUNCTION` exports from a function's library, and the one
/// place a host calls the function's code. Private to Nimbus: authors use the
/// macros of `nimbus/function.hpp`.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "nimbus/context.hpp"
#include "nimbus/event.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"
#include "nimbus/version.hpp"

namespace nimbus::detail {

/// The version of the entry layout between a function library and its host.
/// A host refuses a library built for another version.
// 3: Context holds a Platform; 4: KeyValueStore has increment and compare_and_set; 5: Binding is
// a virtual base of the interfaces (Publisher, ObjectStore besides KeyValueStore), KeyValueStore
// has get_many and put_many, Context holds Metrics.
inline constexpr std::uint32_t kAbiVersion = 5;

/// A handler after its return value is turned into a `Response`.
using HandlerFn = Response (*)(Context&, const Event&);
/// An init hook, run once per worker before its first event.
using InitFn = void (*)(Context&);

/// What `NIMBUS_FUNCTION` exports from a function's shared library, through
/// an `extern "C"` function named `nimbus_function_<handler>`.
/// `abi_version` comes first so that any future layout can still be refused.
struct FunctionEntry {
  std::uint32_t abi_version;
  std::uint32_t entry_size;
  const char* name;
  const char* sdk_version;
  HandlerFn handler;
  InitFn init;
};

/// The prefix of every exported entry symbol.
inline constexpr std::string_view kEntrySymbolPrefix = "nimbus_function_";

inline Response to_response(Response r) { return r; }
inline Response to_response(std::string s) { return Response::text(std::move(s)); }
inline Response to_response(std::string_view s) { return Response::text(std::string(s)); }
inline Response to_response(const char* s) { return Response::text(s); }
inline Response to_response(const Json& j) { return Response::json(j); }

/// Calls a handler of any supported return type and converts its result.
template <auto Handler>
Response adapt(Context& ctx, const Event& event) {
  return to_response(Handler(ctx, event));
}

/// Calls a function's handler: the one place Nimbus calls user code. An
/// exception becomes a 500 text response naming the error, and an error log
/// record on the context's logger; nothing escapes.
Response call_handler(const FunctionEntry& entry, Context& ctx, const Event& event) noexcept;

/// Runs a function's init hook, if it has one; an exception becomes an error.
Result<void> call_init(const FunctionEntry& entry, Context& ctx) noexcept;

}  // namespace nimbus::detail
