#include "http_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstring>
#include <ctime>
#include <iterator>

#include "nimbus/format/text.hpp"

namespace nimbus::engine::http {
namespace {

bool owned_by_http(std::string_view name, bool has_content_type) noexcept {
  return format::iequals(name, "content-length") || format::iequals(name, "transfer-encoding") ||
         format::iequals(name, "connection") || (has_content_type && format::iequals(name, "content-type"));
}

bool header_safe(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

void RequestParts::clear() noexcept {
  method = target = body = content_type = Slice{};
  version = 11;
  headers.clear();
  chunked_body.clear();
  has_content_type = chunked = expect_continue = false;
}

bool RequestParser::slice(string_view s, Slice& out) const noexcept {
  const char* p = s.data();
  if (s.empty()) {
    out = Slice{};
    return true;
  }
  if (p < base_ || p + s.size() > base_ + size_) return false;
  out = Slice{static_cast<std::uint32_t>(p - base_), static_cast<std::uint32_t>(s.size())};
  return true;
}

void RequestParser::on_request_impl(verb /*method*/, string_view method_str, string_view target, int version,
                                    error_code& ec) {
  if (!slice(method_str, parts_.method) || !slice(target, parts_.target)) {
    ec = boost::beast::http::error::bad_target;
    return;
  }
  parts_.version = version;
}

void RequestParser::on_field_impl(field name, string_view name_string, string_view value, error_code& ec) {
  Slice n;
  Slice v;
  if (!slice(name_string, n) || !slice(value, v)) {
    ec = boost::beast::http::error::bad_obs_fold;
    return;
  }
  parts_.headers.emplace_back(n, v);
  if (name == field::content_type) {
    parts_.content_type = v;
    parts_.has_content_type = true;
  } else if (name == field::expect && format::iequals({value.data(), value.size()}, "100-continue")) {
    parts_.expect_continue = true;
  }
}

std::size_t RequestParser::on_body_impl(string_view body, error_code& ec) {
  Slice piece;
  if (!slice(body, piece)) {
    ec = boost::beast::http::error::bad_alloc;
    return 0;
  }
  if (parts_.body.size == 0) parts_.body.at = piece.at;
  parts_.body.size += piece.size;  // a Content-Length body arrives in order, in one run of the buffer
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t /*remain*/, string_view body,
                                              error_code& /*ec*/) {
  parts_.chunked_body.append(body.data(), body.size());
  return body.size();
}

char* InputBuffer::prepare(std::size_t n) {
  if (size_ + n > capacity_) {
    std::size_t capacity = std::max({size_ + n, capacity_ * 2, kKeep});
    // NOLINTNEXTLINE(modernize-avoid-c-arrays): raw bytes, deliberately not zeroed
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  return data_.get() + size_;
}

void InputBuffer::consume(std::size_t n) noexcept {
  n = std::min(n, size_);
  if (n < size_) std::memmove(data_.get(), data_.get() + n, size_ - n);
  size_ -= n;
}

void InputBuffer::clear() noexcept {
  size_ = 0;
  if (capacity_ > kKeep) {
    data_.reset();
    capacity_ = 0;
  }
}

std::pair<int, std::string> describe_parse_error(const boost::beast::error_code& ec) {
  namespace e = boost::beast::http;
  if (ec == e::error::body_limit) return {413, "request body too large"};
  if (ec == e::error::header_limit) return {431, "request header fields too large"};
  return {400, "malformed request: " + ec.message()};
}

std::string_view DateCache::now() {
  const std::time_t t = std::time(nullptr);
  if (t != second_) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];  // NOLINT(modernize-avoid-c-arrays): strftime's buffer
    std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text_.assign(buf, n);
    second_ = t;
  }
  return text_;
}

void append_response(std::string& out, const Response& r, std::string_view date, bool keep_alive, bool head) {
  auto o = std::back_inserter(out);
  fmt::format_to(o, "HTTP/1.1 {} {}\r\nServer: nimbus\r\nDate: {}\r\n", r.status(), reason_phrase(r.status()),
                 date);
  const bool has_content_type = !r.content_type().empty() && header_safe(r.content_type());
  if (has_content_type) fmt::format_to(o, "Content-Type: {}\r\n", r.content_type());
  for (const auto& [name, value] : r.headers()) {
    if (owned_by_http(name, has_content_type) || !header_safe(name) || !header_safe(value) || name.empty())
      continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  // 1xx, 204 and 304 have no body and (RFC 9110) no Content-Length.
  const bool bodiless = r.status() < 200 || r.status() == 204 || r.status() == 304;
  if (!bodiless) fmt::format_to(o, "Content-Length: {}\r\n", r.body().size());
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head && !bodiless) out += r.body();
}

const char* reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

}  // namespace nimbus::engine::http
