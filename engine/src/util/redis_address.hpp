#pragma once
// Where a Redis server is, from a `redis://host:port[/db]` URL: one parser for the
// redis-stream trigger and the redis binding. Credentials never come in the URL.

#include <string>
#include <string_view>

#include "nimbus/result.hpp"

namespace nimbus::engine {

struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
};

/// Parses `url`; `where` names the field in errors ("spec.triggers.s.url"), and
/// `password_field` where the password goes instead ("attributes.password").
[[nodiscard]] Result<RedisAddress> parse_redis_url(std::string_view url, const std::string& where,
                                                   std::string_view password_field) noexcept;

}  // namespace nimbus::engine
