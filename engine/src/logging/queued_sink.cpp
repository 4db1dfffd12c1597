#include "queued_sink.hpp"

#include "line_format.hpp"
#include "nimbus/engine/http_client.hpp"

namespace nimbus::engine::logging {

Result<QueueOptions> queue_options(const Attributes& a) {
  QueueOptions o;
  auto batch = integer_attribute(a, "batchSize", 100, 1, 100000);
  if (!batch) return batch.error();
  o.batch = static_cast<std::size_t>(*batch);
  auto queue = integer_attribute(a, "maxQueue", 10000, 1, 10000000);
  if (!queue) return queue.error();
  o.max_queue = static_cast<std::size_t>(*queue);
  auto interval = duration_attribute(a, "flushInterval", o.interval);
  if (!interval) return interval.error();
  o.interval = *interval;
  return o;
}

QueuedSink::QueuedSink(QueueOptions options, Deliver deliver)
    : o_(options), deliver_(std::move(deliver)), thread_([this] { run(); }) {}

QueuedSink::~QueuedSink() {
  flush();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void QueuedSink::write(const LogEntry& e) {
  std::string line;
  append_line(line, e, LineFormat::kJson);
  line.pop_back();  // the newline: a record is a JSON object of its own
  pending_.push_back(std::move(line));
}

void QueuedSink::flush() noexcept {
  if (pending_.empty()) return;
  std::size_t full = 0;
  bool batch_ready = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& line : pending_) {
      if (queue_.size() >= o_.max_queue) {
        ++full;  // the service is behind: drop, never wait
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

void QueuedSink::run() {
  std::vector<std::string> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, o_.interval, [&] { return stopping_ || queue_.size() >= o_.batch; });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    // Take a batch and deliver it unlocked, so that the loop keeps queueing meanwhile.
    batch.clear();
    while (!queue_.empty() && batch.size() < o_.batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::size_t delivered = 0;
    try {
      delivered = deliver_(batch);
    } catch (const std::exception&) {  // a service's error: the batch is lost, the sink goes on
    }
    const bool failed = delivered < batch.size();
    dropped_.fetch_add(batch.size() - std::min(delivered, batch.size()));
    lock.lock();
    if (failed && stopping_) {  // the service is gone at the end: what is left goes too
      dropped_.fetch_add(queue_.size());
      queue_.clear();
    }
  }
}

Result<std::unique_ptr<LogEntrySink>> make_http_sink(const LogSinkSpec& spec) {
  const Attributes a{spec.attributes, spec.origin};
  auto url = string_attribute(a, "url", "");
  if (!url) return url.error();
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    return Error{spec.origin + ".url: expected an http:// or https:// URL to POST the records to"};
  }
  if (url->find('@', url->find("://") + 3) != std::string::npos) {
    return Error{spec.origin + ".url: credentials never go in the URL: name the token as {env: NAME}"};
  }
  auto queue = queue_options(a);
  if (!queue) return queue.error();
  auto timeout = duration_attribute(a, "timeout", std::chrono::milliseconds(5000));
  if (!timeout) return timeout.error();
  auto token = secret_attribute(a, "token");
  if (!token) return token.error();
  std::vector<std::string> headers;
  if (!token->empty()) headers.push_back("Authorization: Bearer " + *token);
  auto post = [url = *url, timeout = *timeout,
               headers = std::move(headers)](const std::vector<std::string>& records) {
    FunctionCall call;
    call.content_type = "application/json";
    call.body += '[';
    for (const auto& r : records) {
      if (call.body.size() > 1) call.body += ',';
      call.body += r;
    }
    call.body += ']';
    auto answer = http_call(url, call, timeout, headers);
    const bool taken = answer && answer->status() >= 200 && answer->status() < 300;
    return taken ? records.size() : std::size_t{0};
  };
  return std::unique_ptr<LogEntrySink>(std::make_unique<QueuedSink>(*queue, std::move(post)));
}

}  // namespace nimbus::engine::logging
