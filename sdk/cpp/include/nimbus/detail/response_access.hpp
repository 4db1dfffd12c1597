#pragma once
/// @file
/// The engine's operations on a `Response`, which function authors never call:
/// overwriting one in place. Private to Nimbus.

#include <string_view>

#include "nimbus/response.hpp"

namespace nimbus::detail {

struct ResponseAccess {
  /// Makes `r` the response `status`, `content_type` and `body` with no
  /// headers, reusing the capacity of its strings: responses kept across
  /// events are overwritten with no allocation once they have grown.
  static void assign(Response& r, int status, std::string_view content_type, std::string_view body) {
    r.status_ = status;
    r.content_type_.assign(content_type);
    r.body_.assign(body);
    r.headers_.clear();
  }
  /// Adds a header (as `with_header`, from views).
  static void add_header(Response& r, std::string_view name, std::string_view value) {
    r.headers_.emplace_back(name, value);
  }
};

}  // namespace nimbus::detail
