#include "function_call.hpp"

#include <cctype>
#include <cstdlib>
#include <exception>
#include <string>

#include "nimbus/engine/http_client.hpp"

namespace nimbus::engine {

std::string function_url_variable(std::string_view name) {
  std::string v = "NIMBUS_FUNCTION_URL_";
  for (const char c : name) {
    v += std::isalnum(static_cast<unsigned char>(c)) != 0
             ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
             : '_';
  }
  return v;
}

Result<Response> call_function_over_http(std::string_view name, const FunctionCall& call,
                                         std::chrono::milliseconds timeout) noexcept {
  const std::string who = "call_function('" + std::string(name) + "')";
  try {
    const std::string variable = function_url_variable(name);
    const char* base = std::getenv(variable.c_str());
    if (base == nullptr || *base == '\0') {
      return Error{who + ": no address: set " + variable +
                   " (in function.yaml's spec.env or the environment), e.g. http://127.0.0.1:8081"};
    }
    const std::string url = join_url(base, call.path);
    const std::string target = "X-Nuclio-Target: " + std::string(name);
    auto answer = http_call(url, call, timeout, std::span(&target, 1));
    if (!answer) return Error{who + ": " + answer.error().message};
    return answer;
  } catch (const std::exception& e) {
    return Error{who + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
