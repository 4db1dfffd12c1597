#pragma once
// `host[:port]`, the part of a broker's or a service's URL after its scheme: one
// parser for every URL the configuration takes (mqtt's tcp://, redis://).

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

#include "nimbus/result.hpp"

namespace nimbus::engine {

struct HostPort {
  std::string host;
  int port = 0;
};

/// Splits `authority` ("127.0.0.1:6379", "broker"); `port` when it names none.
/// `where` names the field and `url` is the whole URL, in errors.
[[nodiscard]] inline Result<HostPort> split_host_port(std::string_view authority, int port,
                                                      const std::string& where, std::string_view url) {
  HostPort out{std::string(authority), port};
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    const std::string_view digits = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.port);
    if (ec != std::errc() || end != digits.data() + digits.size() || out.port < 1 || out.port > 65535)
      return Error{where + ": '" + std::string(digits) + "' is not a port"};
  }
  if (out.host.empty()) return Error{where + ": no host in '" + std::string(url) + "'"};
  return out;
}

}  // namespace nimbus::engine
