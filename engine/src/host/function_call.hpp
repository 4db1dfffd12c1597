#pragma once
// `ctx.platform().call_function`: a blocking HTTP/1.1 call to another
// function through libcurl, its address from the environment
// (`NIMBUS_FUNCTION_URL_<NAME>`, which function.yaml's `spec.env` can set),
// never from cluster DNS. Connections are kept per thread between calls.

#include <chrono>
#include <string>
#include <string_view>

#include "nimbus/platform.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// The environment variable that holds function `name`'s address: "orders-v2" →
/// NIMBUS_FUNCTION_URL_ORDERS_V2.
[[nodiscard]] std::string function_url_variable(std::string_view name);

/// Calls function `name` with `call`; its response, whatever its status. An
/// error names the function and what failed (no address, refused, timed out).
[[nodiscard]] Result<Response> call_function_over_http(std::string_view name, const FunctionCall& call,
                                                       std::chrono::milliseconds timeout) noexcept;

}  // namespace nimbus::engine
