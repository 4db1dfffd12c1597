#pragma once
/// @file
/// `nimbus::Response`: what a handler returns.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/json.hpp"

namespace nimbus {

namespace detail {
struct ResponseAccess;
}

/// An HTTP-shaped response: status, headers, content type and body.
///
/// ```cpp
/// return nimbus::Response::json({{"hello", name}});
/// return nimbus::Response::text("not found", 404).with_header("Cache-Control", "no-store");
/// ```
/// A handler may also return a `std::string` (a 200 text response) or a
/// `nimbus::Json` (a 200 JSON response).
class Response {
 public:
  /// An empty 200 response.
  Response() = default;

  /// A text response, `text/plain; charset=utf-8`.
  static Response text(std::string body, int status = 200);
  /// A JSON response, `application/json`; strings that are not UTF-8 are
  /// written with U+FFFD in place of the bad bytes, so the body is always JSON.
  static Response json(const Json& body, int status = 200);
  /// A binary response; `application/octet-stream` unless told otherwise.
  static Response bytes(std::string body, std::string content_type = "application/octet-stream",
                        int status = 200);
  /// A binary response from raw bytes.
  static Response bytes(std::span<const std::byte> body,
                        std::string content_type = "application/octet-stream", int status = 200);
  /// A response with no body.
  static Response empty(int status = 204);

  /// The status code.
  [[nodiscard]] int status() const noexcept { return status_; }
  /// The media type of the body; may be empty.
  [[nodiscard]] const std::string& content_type() const noexcept { return content_type_; }
  /// The body bytes.
  [[nodiscard]] const std::string& body() const noexcept { return body_; }
  /// Headers other than Content-Type, in the order they were added.
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }
  /// A header's value, ignoring ASCII case; Content-Type included.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;

  /// Fluent setters; each returns the response.
  Response& with_status(int status) & {
    status_ = status;
    return *this;
  }
  Response&& with_status(int status) && { return std::move(with_status(status)); }
  Response& with_header(std::string name, std::string value) &;
  Response&& with_header(std::string name, std::string value) && {
    return std::move(with_header(std::move(name), std::move(value)));
  }
  Response& with_content_type(std::string content_type) & {
    content_type_ = std::move(content_type);
    return *this;
  }
  Response&& with_content_type(std::string content_type) && {
    return std::move(with_content_type(std::move(content_type)));
  }
  Response& with_body(std::string body) & {
    body_ = std::move(body);
    return *this;
  }
  Response&& with_body(std::string body) && { return std::move(with_body(std::move(body))); }
  /// Makes the response a CloudEvent in binary mode (CloudEvents 1.0's HTTP
  /// binding): `ce-specversion: 1.0`, `ce-id`, `ce-source` and `ce-type`
  /// headers; the body is its data and the content type its datacontenttype.
  /// Further attributes (`subject`, `time`, extensions) are `ce-` headers too:
  /// `.with_header("ce-subject", "17")`.
  Response& as_cloud_event(std::string id, std::string source, std::string type) &;
  Response&& as_cloud_event(std::string id, std::string source, std::string type) && {
    return std::move(as_cloud_event(std::move(id), std::move(source), std::move(type)));
  }

  friend bool operator==(const Response&, const Response&) = default;

 private:
  friend struct detail::ResponseAccess;
  int status_ = 200;
  std::string content_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
};

}  // namespace nimbus
