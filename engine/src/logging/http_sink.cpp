#include "http_sink.hpp"

#include "line_format.hpp"
#include "nimbus/engine/attributes.hpp"
#include "nimbus/engine/http_client.hpp"

namespace nimbus::engine::logging {

HttpSink::HttpSink(HttpSinkOptions options) : o_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

HttpSink::~HttpSink() {
  flush();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HttpSink::write(const LogEntry& e) {
  std::string line;
  append_line(line, e, LineFormat::kJson);
  line.pop_back();  // the newline: records go in an array
  pending_.push_back(std::move(line));
}

void HttpSink::flush() noexcept {
  if (pending_.empty()) return;
  std::size_t full = 0;
  bool batch_ready = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& line : pending_) {
      if (queue_.size() >= o_.max_queue) {
        ++full;  // the endpoint is behind: drop, never wait
        continue;
      }
      queue_.push_back(std::move(line));
    }
    batch_ready = queue_.size() >= o_.batch;
  }
  pending_.clear();
  if (full > 0) dropped_.fetch_add(full);
  if (batch_ready) wake_.notify_one();
}

void HttpSink::run() {
  std::vector<std::string> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, o_.interval, [&] { return stopping_ || queue_.size() >= o_.batch; });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    // Take a batch and send it unlocked, so that the loop keeps queueing meanwhile.
    batch.clear();
    while (!queue_.empty() && batch.size() < o_.batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    const bool taken = post(batch);
    (taken ? sent_ : dropped_).fetch_add(batch.size());
    lock.lock();
    if (!taken && stopping_) {  // the endpoint is gone at the end: what is left goes too
      dropped_.fetch_add(queue_.size());
      queue_.clear();
    }
  }
}

bool HttpSink::post(const std::vector<std::string>& records) {
  FunctionCall call;
  call.method = "POST";
  call.content_type = "application/json";
  std::size_t size = 2;
  for (const auto& r : records) size += r.size() + 1;
  call.body.reserve(size);
  call.body += '[';
  for (const auto& r : records) {
    if (call.body.size() > 1) call.body += ',';
    call.body += r;
  }
  call.body += ']';
  auto answer = http_call(o_.url, call, o_.timeout, o_.headers);
  return answer && answer->status() >= 200 && answer->status() < 300;
}

Result<std::unique_ptr<LogEntrySink>> make_http_sink(const LogSinkSpec& spec) {
  const Attributes a{spec.attributes, spec.origin};
  HttpSinkOptions o;
  auto url = string_attribute(a, "url", "");
  if (!url) return url.error();
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return Error{spec.origin + ".url: expected an http:// or https:// URL to POST the records to"};
  }
  if (url->find('@', url->find("://") + 3) != std::string::npos) {
    return Error{spec.origin + ".url: credentials never go in the URL: name the token as {env: NAME}"};
  }
  o.url = *url;
  auto batch = integer_attribute(a, "batchSize", 100, 1, 100000);
  if (!batch) return batch.error();
  o.batch = static_cast<std::size_t>(*batch);
  auto queue = integer_attribute(a, "maxQueue", 10000, 1, 10000000);
  if (!queue) return queue.error();
  o.max_queue = static_cast<std::size_t>(*queue);
  for (auto [key, into] : {std::pair{"flushInterval", &o.interval}, std::pair{"timeout", &o.timeout}}) {
    auto text = string_attribute(a, key, "");
    if (!text) return text.error();
    if (text->empty()) continue;
    auto d = parse_duration(*text);
    if (!d || d->count() <= 0) {
      return Error{spec.origin + "." + key + ": expected a duration (500ms, 2s), got '" + *text + "'"};
    }
    *into = *d;
  }
  auto token = secret_attribute(a, "token");
  if (!token) return token.error();
  if (!token->empty()) o.headers.push_back("Authorization: Bearer " + *token);
  return std::unique_ptr<LogEntrySink>(std::make_unique<HttpSink>(std::move(o)));
}

}  // namespace nimbus::engine::logging
