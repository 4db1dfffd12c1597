#include "worker_loop.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../util/spin.hpp"
#include "messages.hpp"
#include "nimbus/engine/call_script.hpp"
#include "nimbus/engine/function_config.hpp"
#include "nimbus/engine/function_host.hpp"
#include "nimbus/event.hpp"
#include "nimbus/format/json_writer.hpp"
#include "nimbus/format/record.hpp"

namespace nimbus::engine::workers {
namespace {

using shm::Ring;

// Loans space on the response ring, waiting (and waking the processor) while it is full.
std::span<std::byte> loan(Ring& ring, std::uint32_t type, std::size_t size) {
  for (;;) {
    if (auto l = ring.try_reserve(type, size)) return *l;
    ring.wake_consumer();
    ring.wait_for_space(size, std::chrono::microseconds(10'000));
  }
}

void send_text(Ring& ring, std::uint32_t type, std::string_view text) {
  auto out = loan(ring, type, text.size());
  std::memcpy(out.data(), text.data(), text.size());
  ring.commit();
  ring.wake_consumer();
}

// Record and replay, for the requests that ask: answers binding calls from
// the recorded ones, and writes the invocation's record (the tape line but
// its `seq`), which follows the response. The worker writes it, not the
// processor: the processor's one thread serves every connection, while the
// workers run in parallel (docs/performance.md, "Recording in the engine").
class RequestRecord final : public detail::BindingObserver {
 public:
  explicit RequestRecord(std::vector<std::string> redacted_headers) : text_(std::move(redacted_headers)) {}

  // Sets up for one request; false when it asks nothing (the observer is then not installed).
  bool begin(const RequestView& request) {
    recording_ = (request.header.flags & kRecord) != 0U;
    answering_ = (request.header.flags & kAnswerCalls) != 0U;
    if (recording_) text_.clear();
    if (answering_) {
      auto script =
          engine::CallScript::parse(request.calls_json, (request.header.flags & kLenientCalls) != 0U);
      script_ = script ? std::move(*script) : engine::CallScript(false);  // unreadable: no call is recorded
    }
    return recording_ || answering_;
  }

  std::optional<Json> answer(const detail::BindingCall& call) override {
    if (!answering_) return std::nullopt;
    auto a = script_.answer(call);
    if (a.error) {
      if (recording_) text_.call(call, {}, &*a.error);
      throw BindingError(*a.error);
    }
    return std::move(a.result);
  }

  void completed(const detail::BindingCall& call, std::string_view result,
                 const std::string* error) override {
    if (recording_) text_.call(call, result, error);
  }

  // A log record the function wrote (at the worker's level); `fields_json` as sent on the ring.
  void log(const LogRecord& r, std::string_view fields_json) {
    if (recording_) text_.log(r.level, r.message, fields_json, r.logger);
  }

  // After the response went out: sends the invocation's record (the event,
  // the calls and logs gathered while the handler ran, the response), in as
  // many parts as it takes. Encoding it after the response keeps it off the
  // time the client waits. `event` is null when the worker could not read it.
  void send(Ring& ring, std::uint64_t request_id, const Event* event, const Response& response,
            std::chrono::nanoseconds took) {
    recording_ = false;
    answering_ = false;
    if (event != nullptr) text_.event(*event);
    text_.response(response);
    const format::RecordParts parts = text_.parts();
    line_.clear();
    format::append_record_rest(line_, parts, std::chrono::duration<double, std::milli>(took).count());
    RecordHeader h{request_id,
                   static_cast<std::uint64_t>(took.count()),
                   0,
                   static_cast<std::uint32_t>(line_.size()),
                   static_cast<std::uint32_t>(parts.event.size()),
                   static_cast<std::uint32_t>(parts.calls.size()),
                   static_cast<std::uint32_t>(parts.logs.size()),
                   static_cast<std::uint32_t>(parts.response.size())};
    const std::size_t most = ring.max_payload() - sizeof h;
    for (std::string_view rest(line_);;) {
      const std::string_view part = rest.substr(0, most);
      rest.remove_prefix(part.size());
      h.flags = rest.empty() ? 0U : RecordHeader::kMore;
      auto out = loan(ring, kRecordPart, sizeof h + part.size());
      std::memcpy(out.data(), &h, sizeof h);
      if (!part.empty()) std::memcpy(out.data() + sizeof h, part.data(), part.size());
      ring.commit();
      if (rest.empty()) break;
    }
  }

  [[nodiscard]] bool recording() const noexcept { return recording_; }

 private:
  format::RecordText text_;
  std::string line_;  // the record's text, reused
  bool recording_ = false;
  bool answering_ = false;
  engine::CallScript script_;
};

// Function logs go back on the response ring, in order with the responses.
class RingLogSink : public LogSink {
 public:
  RingLogSink(Ring& ring, RequestRecord& record) : ring_(ring), record_(record) {}
  // The event the records that follow belong to (`event`: null for a bad one).
  void set_request(std::uint64_t id, const Event* event) noexcept {
    request_id_ = id;
    event_id_ = event != nullptr ? event->id() : std::string_view();
    trace_id_ = event != nullptr ? event->trace_id() : std::string_view();
  }
  void write(const LogRecord& r) override {
    std::string& fields = fields_;
    fields.clear();
    if (!r.fields.empty()) format::append_json(fields, r.fields);
    record_.log(r, fields);
    LogHeader h{request_id_,
                std::chrono::duration_cast<std::chrono::nanoseconds>(r.time.time_since_epoch()).count(),
                static_cast<std::uint32_t>(r.level),
                static_cast<std::uint32_t>(r.message.size()),
                static_cast<std::uint32_t>(fields.size()),
                static_cast<std::uint32_t>(r.logger.size()),
                static_cast<std::uint32_t>(event_id_.size()),
                static_cast<std::uint32_t>(trace_id_.size())};
    const std::string_view parts[] = {r.message, fields, r.logger, event_id_, trace_id_};
    std::size_t size = sizeof h;
    for (const auto part : parts) size += part.size();
    if (size > ring_.max_payload()) return;  // a record larger than half the ring is dropped
    auto out = loan(ring_, kLog, size);
    std::byte* at = out.data();
    std::memcpy(at, &h, sizeof h);
    at += sizeof h;
    for (const auto part : parts) {
      if (!part.empty()) std::memcpy(at, part.data(), part.size());
      at += part.size();
    }
    ring_.commit();
  }

 private:
  Ring& ring_;
  RequestRecord& record_;
  std::uint64_t request_id_ = 0;
  std::string_view event_id_;  // in the request, which outlives its records
  std::string_view trace_id_;
  std::string fields_;  // reused
};

}  // namespace

namespace {

Result<HostOptions> host_options(const WorkerSpec& spec, LogSink& sink, Ring& responses) {
  HostOptions host;
  if (!spec.config.empty()) {
    auto loaded = load_function_config(spec.config);
    if (!loaded) return loaded.error();
    host.config = std::move(*loaded);
  }
  if (!spec.function.empty()) host.config.function = spec.function;
  host.library = spec.library;
  host.bindings = host.config.bindings;  // the configured ones, for real
  host.worker_id = spec.worker_id;
  host.level = spec.level;
  host.sink = &sink;
  // ctx.platform().explicit_ack: to the processor, whose trigger acknowledges (in order with the responses).
  host.explicit_ack = [&responses](const QualifiedOffset& q) -> Result<void> {
    const StreamAckHeader h{q.partition, q.offset};
    if (sizeof h + q.topic.size() > responses.max_payload())
      return Error{"explicit_ack: the topic is too long"};
    auto out = loan(responses, kStreamAck, sizeof h + q.topic.size());
    std::memcpy(out.data(), &h, sizeof h);
    std::memcpy(out.data() + sizeof h, q.topic.data(), q.topic.size());
    responses.commit();
    return {};
  };
  return host;
}

// One worker's serving state: the channel, the function, and what observes it.
class Serving {
 public:
  Serving(shm::Channel& channel, const WorkerSpec& spec, FunctionHost& function, RequestRecord& record,
          RingLogSink& sink)
      : channel_(channel), spec_(spec), function_(function), record_(record), sink_(sink) {}

  // Answers one request, read in place; the caller releases it after.
  void answer(const RequestView& request) {
    Ring& responses = channel_.responses();
    const RequestHeader& rh = request.header;
    Response response;
    auto event = Event::from_bytes(request.event);
    sink_.set_request(rh.request_id, event ? &*event : nullptr);
    apply_log_level();
    const auto deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(rh.deadline_ns));
    const bool observed = rh.flags != 0U && record_.begin(request);
    std::chrono::nanoseconds took{0};
    const auto now = std::chrono::steady_clock::now();
    if (!event) {
      response = Response::text("bad event: " + event.error().message, 400);
    } else if (now >= deadline) {
      // It waited in the queue past its deadline: answer without running it.
      response = Response::text(
          "event timed out waiting in worker " + std::to_string(spec_.worker_id) + "'s queue", 504);
    } else {
      channel_.running().store(rh.request_id, std::memory_order_release);
      auto done = function_.invoke_at(*event, now, deadline, observed ? &record_ : nullptr);
      channel_.running().store(0, std::memory_order_release);
      response = std::move(done.response);
      took = done.took;
    }
    std::size_t size = response_size(response);
    if (size > responses.max_payload()) {
      response =
          Response::text("response of " + std::to_string(size) + " bytes exceeds the channel's limit", 500);
      size = response_size(response);
    }
    write_response(loan(responses, kResponse, size), rh.request_id, response);
    responses.commit();
    if (record_.recording()) {
      responses.wake_consumer();  // the response need not wait for the record
      record_.send(responses, rh.request_id, event ? &*event : nullptr, response, took);
    }
    send_metrics(false);
  }

  // Sends ctx.metrics() when they changed: at most every 100 ms while busy (`now` false), and
  // before the worker sleeps or exits (`now` true), so that /metrics lags by as much at most.
  void send_metrics(bool now) {
    Metrics& metrics = function_.context().metrics();
    if (!metrics_due_ && !metrics.take_changed()) return;
    metrics_due_ = true;
    const auto at = std::chrono::steady_clock::now();
    if (!now && at - metrics_sent_ < std::chrono::milliseconds(100)) return;
    metrics_due_ = false;
    metrics_sent_ = at;
    write_metrics(metrics_text_, metrics.snapshot());
    Ring& responses = channel_.responses();
    if (metrics_text_.size() > responses.max_payload()) return;  // at most kMaxSeries series: cannot happen
    send_text(responses, kMetrics, metrics_text_);
  }

  // Serves until a shutdown message or `stop`; returns the exit status.
  int run(const std::atomic<bool>* stop) {
    Ring& requests = channel_.requests();
    Ring& responses = channel_.responses();
    // The next request often comes within microseconds: spin for it a
    // while, as long as spinning pays (docs/architecture.md, "Wake-ups").
    detail::AdaptiveSpin spin(std::chrono::microseconds(200));
    for (;;) {
      bool worked = false;
      while (auto msg = requests.try_peek()) {
        worked = true;
        if (msg->type == kShutdown) {
          requests.release();
          function_.terminate();  // the function's drain and termination callbacks; their logs go first
          send_metrics(true);
          responses.wake_consumer();
          return 0;
        }
        if (auto request = msg->type == kRequest ? read_request(msg->payload) : std::nullopt)
          answer(*request);
        requests.release();  // the event was read in place until now
      }
      if (worked) {
        responses.wake_consumer();
        requests.wake_producer();
      }
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
        function_.terminate();
        send_metrics(true);
        responses.wake_consumer();
        return 0;
      }
      if (spin.spin([&] { return !requests.empty(); })) continue;
      send_metrics(true);
      const auto slept_at = detail::AdaptiveSpin::clock::now();
      if (requests.wait_for_message(std::chrono::microseconds(100'000), 0)) {
        spin.slept(detail::AdaptiveSpin::clock::now() - slept_at);
      }
    }
  }

 private:
  shm::Channel& channel_;
  const WorkerSpec& spec_;
  // The level the processor asks for now (PUT /loglevel), applied to the function's logger
  // when it changed: one relaxed load per event.
  void apply_log_level() noexcept {
    const std::uint32_t asked = channel_.log_level().load(std::memory_order_relaxed);
    if (asked == applied_level_ || asked == 0 || asked > static_cast<std::uint32_t>(LogLevel::kError) + 1)
      return;
    applied_level_ = asked;
    function_.context().logger().set_level(static_cast<LogLevel>(asked - 1));
  }

  FunctionHost& function_;
  std::uint32_t applied_level_ = 0;
  bool metrics_due_ = false;  // they changed since the last send
  std::chrono::steady_clock::time_point metrics_sent_{};
  std::string metrics_text_;  // reused
  RequestRecord& record_;
  RingLogSink& sink_;
};

int serve(shm::Channel& channel, const WorkerSpec& spec, const std::atomic<bool>* stop) {
  Ring& responses = channel.responses();
  RequestRecord record(spec.redacted_headers);
  RingLogSink sink(responses, record);
  auto host = host_options(spec, sink, responses);
  auto opened =
      host ? FunctionHost::open(std::move(*host)) : Result<std::unique_ptr<FunctionHost>>(host.error());
  if (!opened) {
    send_text(responses, kInitFailed, opened.error().message);
    return 3;
  }
  send_text(responses, kReady, (*opened)->function_name());
  responses.notify_consumer_with(
      spec.notify_fd);  // after the handshake, which the processor waits for on the futex
  return Serving(channel, spec, **opened, record, sink).run(stop);
}

}  // namespace

int serve_channel(shm::Channel& channel, const WorkerSpec& spec, const std::atomic<bool>* stop) noexcept {
  // Nothing the worker does may end it by an uncaught exception: a bug below is one line on
  // stderr and an exit the dispatcher sees as a crash (a 500 for the event, a new worker).
  try {
    return serve(channel, spec, stop);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nimbus-worker %d: internal error: %s\n", spec.worker_id, e.what());
  } catch (...) {
    std::fprintf(stderr, "nimbus-worker %d: internal error\n", spec.worker_id);
  }
  return kInternalError;
}

}  // namespace nimbus::engine::workers
