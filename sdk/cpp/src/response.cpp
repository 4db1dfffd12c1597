#include "nimbus/response.hpp"

#include "nimbus/detail/ascii.hpp"

namespace nimbus {

Response Response::text(std::string body, int status) {
  Response r;
  r.status_ = status;
  r.content_type_ = "text/plain; charset=utf-8";
  r.body_ = std::move(body);
  return r;
}

Response Response::json(const Json& body, int status) {
  Response r;
  r.status_ = status;
  r.content_type_ = "application/json";
  // Always valid JSON: bytes that are not UTF-8 (read back from a binding, say) become U+FFFD,
  // as in every other JSON Nimbus writes, instead of an exception out of the handler.
  r.body_ = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

Response Response::bytes(std::string body, std::string content_type, int status) {
  Response r;
  r.status_ = status;
  r.content_type_ = std::move(content_type);
  r.body_ = std::move(body);
  return r;
}

Response Response::bytes(std::span<const std::byte> body, std::string content_type, int status) {
  return bytes(
      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): char view of bytes
      std::string(reinterpret_cast<const char*>(body.data()), body.size()), std::move(content_type), status);
}

Response Response::empty(int status) {
  Response r;
  r.status_ = status;
  return r;
}

Response& Response::with_header(std::string name, std::string value) & {
  if (detail::iequals(name, "Content-Type")) {
    content_type_ = std::move(value);
  } else {
    headers_.emplace_back(std::move(name), std::move(value));
  }
  return *this;
}

Response& Response::as_cloud_event(std::string id, std::string source, std::string type) & {
  with_header("ce-specversion", "1.0");
  with_header("ce-id", std::move(id));
  with_header("ce-source", std::move(source));
  return with_header("ce-type", std::move(type));
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  if (detail::iequals(name, "Content-Type")) {
    if (content_type_.empty()) return std::nullopt;
    return std::string_view(content_type_);
  }
  for (const auto& [k, v] : headers_) {
    if (detail::iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

}  // namespace nimbus
