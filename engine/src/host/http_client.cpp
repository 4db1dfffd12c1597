#include "nimbus/engine/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "nimbus/format/text.hpp"

namespace nimbus::engine {
namespace {

struct Easy {
  CURL* handle = nullptr;
  Easy() {
    static std::once_flag initialized;
    std::call_once(initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    handle = curl_easy_init();
  }
  ~Easy() {
    if (handle != nullptr) curl_easy_cleanup(handle);
  }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
};

struct Answer {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* answer) {
  static_cast<Answer*>(answer)->body.append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* answer) {
  auto* a = static_cast<Answer*>(answer);
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (line.rfind("HTTP/", 0) == 0) a->headers.clear();  // a new response (after a 100 Continue)
  if (colon == std::string_view::npos) return size * count;
  const std::string_view name = format::trim(line.substr(0, colon));
  std::string_view value = format::trim(line.substr(colon + 1));
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
  if (format::iequals(name, "Content-Type")) {
    a->content_type = std::string(value);
  } else if (!format::iequals(name, "Content-Length") && !format::iequals(name, "Transfer-Encoding") &&
             !format::iequals(name, "Connection")) {
    a->headers.emplace_back(name, value);
  }
  return size * count;
}

// A header the call must not pass on: libcurl writes these itself.
bool hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kWritten = {
      "Content-Length",    "Content-Type", "Host",           "Connection",
      "Transfer-Encoding", "Expect",       "X-Nuclio-Target"};
  return std::ranges::any_of(kWritten, [&](std::string_view h) { return format::iequals(name, h); });
}

}  // namespace

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string url(base);
  url += '/';
  url += path;
  return url;
}

Result<Response> http_call(const std::string& url, const FunctionCall& call,
                           std::chrono::milliseconds timeout,
                           std::span<const std::string> extra_headers) noexcept {
  try {
    thread_local Easy easy;  // one per thread: its connection is kept for the next call
    if (easy.handle == nullptr) return Error{url + ": libcurl could not start"};
    CURL* h = easy.handle;
    curl_easy_reset(h);
    Answer answer;
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
    auto add = [&](const std::string& line) {
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    };
    for (const auto& [k, v] : call.headers) {
      if (!hop_by_hop(k)) add(k + ": " + v);
    }
    add("Content-Type: " + call.content_type);
    for (const auto& line : extra_headers) add(line);
    add("Expect:");  // no 100-continue round trip
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    if (call.method != "GET" && call.method != "HEAD") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
    if (call.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &answer);
    if (const CURLcode rc = curl_easy_perform(h); rc != CURLE_OK)
      return Error{url + ": " + curl_easy_strerror(rc)};
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    Response r = Response::bytes(std::move(answer.body),
                                 answer.content_type.empty() ? "text/plain" : answer.content_type,
                                 static_cast<int>(status));
    for (auto& [k, v] : answer.headers) r.with_header(std::move(k), std::move(v));
    return r;
  } catch (const std::exception& e) {
    return Error{url + ": " + e.what()};
  }
}

}  // namespace nimbus::engine
