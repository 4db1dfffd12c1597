#include "redis_address.hpp"

#include <charconv>
#include <system_error>
#include <utility>

#include "host_port.hpp"

namespace nimbus::engine {

Result<RedisAddress> parse_redis_url(std::string_view url, const std::string& where,
                                     std::string_view password_field) noexcept {
  try {
    std::string_view rest = url;
    if (rest.rfind("rediss://", 0) == 0)
      return Error{where + ": rediss:// (TLS) is not available: Debian 12's hiredis 0.14 has no TLS"};
    if (rest.rfind("redis://", 0) != 0)
      return Error{where + ": expected redis://host:port, got '" + std::string(url) + "'"};
    rest.remove_prefix(8);
    if (rest.find('@') != std::string_view::npos) {
      return Error{where + ": credentials never go in function.yaml: name the password in " +
                   std::string(password_field) + " as {env: NAME} or {file: path}"};
    }
    RedisAddress a;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
      const std::string_view db = rest.substr(slash + 1);
      if (!db.empty()) {
        auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), a.db);
        if (ec != std::errc() || end != db.data() + db.size() || a.db < 0)
          return Error{where + ": '" + std::string(db) + "' is not a database number"};
      }
      rest = rest.substr(0, slash);
    }
    auto hp = split_host_port(rest, a.port, where, url);
    if (!hp) return hp.error();
    a.host = std::move(hp->host);
    a.port = hp->port;
    return a;
  } catch (const std::exception& e) {
    return Error{where + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
