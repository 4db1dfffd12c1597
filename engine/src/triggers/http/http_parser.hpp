#pragma once
// HTTP/1.1 for the HTTP trigger and the admin port: Boost.Beast's request parser, used without
// Asio (it is sans-I/O), over the processor's own edge-triggered epoll loop;
// and the response encoder. docs/architecture.md ("The processor") says why.

#include <boost/beast/http/basic_parser.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/response.hpp"

namespace nimbus::engine::http {

/// A piece of a connection's input, as an offset from where the request
/// starts: it stays right when the input buffer grows and moves.
struct Slice {
  std::uint32_t at = 0;
  std::uint32_t size = 0;
  [[nodiscard]] std::string_view in(const char* request) const noexcept { return {request + at, size}; }
};

/// One request's parts as the parser found them.
struct RequestParts {
  Slice method;
  Slice target;
  int version = 11;
  std::vector<std::pair<Slice, Slice>> headers;
  Slice content_type;
  bool has_content_type = false;
  Slice body;                // a Content-Length body, in place
  std::string chunked_body;  // a chunked body, copied out of its chunks
  bool chunked = false;
  bool expect_continue = false;

  void clear() noexcept;
  /// The body, given where the request starts.
  [[nodiscard]] std::string_view body_in(const char* request) const noexcept {
    return chunked ? std::string_view(chunked_body) : body.in(request);
  }
};

/// Beast's HTTP/1.1 request parser, recording slices instead of copies.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  explicit RequestParser(RequestParts& parts) noexcept : parts_(parts) {}
  /// Where the request starts and how many bytes of it are buffered; call
  /// before every `put` (the buffer may have moved).
  void rebase(const char* request, std::size_t size) noexcept {
    base_ = request;
    size_ = size;
  }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  using field = boost::beast::http::field;
  using verb = boost::beast::http::verb;

  // A slice of the buffer, or false when the view is not in it (Beast
  // unfolds obs-fold values into its own storage; RFC 9112 lets a server
  // reject those with a 400, which it does).
  bool slice(string_view s, Slice& out) const noexcept;

  void on_request_impl(verb method, string_view method_str, string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(field name, string_view name_string, string_view value, error_code& ec) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override { parts_.chunked = true; }
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
  void on_finish_impl(error_code&) override {}

  RequestParts& parts_;
  const char* base_ = nullptr;
  std::size_t size_ = 0;
};

/// A connection's input: grows without zeroing the room it makes for reads.
class InputBuffer {
 public:
  [[nodiscard]] char* data() noexcept { return data_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Room for `n` more bytes after the data; write there, then `commit`.
  char* prepare(std::size_t n);
  void commit(std::size_t n) noexcept { size_ += n; }
  /// Drops the first `n` bytes.
  void consume(std::size_t n) noexcept;
  /// Empties it, keeping a small allocation for the next request.
  void clear() noexcept;

 private:
  static constexpr std::size_t kKeep = std::size_t{16} << 10;
  std::unique_ptr<char[]> data_;  // NOLINT(modernize-avoid-c-arrays): raw bytes, deliberately not zeroed
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// The status and message for a parse error: 413 past the body limit, 431
/// past the header limit, 400 for anything malformed.
std::pair<int, std::string> describe_parse_error(const boost::beast::error_code& ec);

/// "Fri, 27 Nov 2026 16:17:50 GMT", formatted once a second.
class DateCache {
 public:
  std::string_view now();

 private:
  std::int64_t second_ = -1;
  std::string text_;
};

/// Appends an HTTP/1.1 response to `out`. Headers the HTTP layer owns
/// (Content-Length, Transfer-Encoding, Connection, and Content-Type when the
/// response has one) and headers with CR, LF or NUL in them are left out.
/// `head`: a response to HEAD (no body, the same Content-Length).
void append_response(std::string& out, const Response& r, std::string_view date, bool keep_alive, bool head);

/// The reason phrase of a status code.
const char* reason_phrase(int status) noexcept;

}  // namespace nimbus::engine::http
