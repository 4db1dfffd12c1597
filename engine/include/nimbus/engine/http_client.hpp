#pragma once
/// @file
/// One blocking HTTP/1.1 request through libcurl: what `call_function` and
/// `nimbus invoke` send. Connections are kept per thread between calls.

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "nimbus/platform.hpp"
#include "nimbus/response.hpp"
#include "nimbus/result.hpp"

namespace nimbus::engine {

/// `base` (a URL, maybe with a path of its own) followed by `path`, with one
/// slash between them: ("http://h:8080/", "orders?x=1") → "http://h:8080/orders?x=1".
[[nodiscard]] std::string join_url(std::string_view base, std::string_view path);

/// Sends `call` (method, headers, content type, body; not its path) to
/// `url`, with `extra_headers` ("Name: value" lines) after the call's own.
/// Headers libcurl writes itself (Host, Content-Length, Connection, ...) are
/// not passed on from the call. The answer whatever its status, its headers
/// in order without Content-Length, Transfer-Encoding and Connection; an
/// error names the URL and what failed (refused, timed out, ...).
[[nodiscard]] Result<Response> http_call(const std::string& url, const FunctionCall& call,
                                         std::chrono::milliseconds timeout,
                                         std::span<const std::string> extra_headers = {}) noexcept;

}  // namespace nimbus::engine
