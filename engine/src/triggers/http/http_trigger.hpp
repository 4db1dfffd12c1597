#pragma once
// The HTTP trigger (kind `http`): each request becomes an event, encoded
// into the flat layout straight from the parser's slices of the connection's
// buffer (no strings built), and its answer goes back in request order.
// Attributes: `port` (default 8080; 0 picks a free one) and
// `maxRequestBodySize` (bytes, default 1 MiB; larger bodies get 413).
// CloudEvents 1.0 arrive in binary mode (`ce-*` headers), structured mode
// (`application/cloudevents+json`) and batch mode
// (`application/cloudevents-batch+json`: one invocation per event, in
// order, answered with a JSON array of `{id, status, headers, body}`); a
// CloudEvent that fails its checks is a 400 naming what was wrong, and the
// handler is not called.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../event_ids.hpp"
#include "http_server.hpp"
#include "nimbus/detail/event_data.hpp"
#include "nimbus/engine/trigger.hpp"
#include "nimbus/format/cloud_event.hpp"

namespace nimbus::engine::http {

class HttpTrigger final : public Trigger, private Server::Handler {
 public:
  HttpTrigger(TriggerSpec spec, Server::Options options);

  Result<void> open(EventLoop& loop) noexcept override;
  void after_poll() override { server_->flush(); }
  void tick(std::chrono::steady_clock::time_point now) override { server_->sweep(now); }
  void drain() override { server_->drain(); }
  [[nodiscard]] bool idle() const override { return server_->idle(); }
  [[nodiscard]] std::size_t max_event_bytes() const noexcept override;
  [[nodiscard]] Json describe() const override { return Json{{"port", server_->port()}}; }

  /// The port bound (after `open`).
  [[nodiscard]] int port() const noexcept { return server_->port(); }
  /// Serves a connected socket as if accepted (tests and fuzzers: see `Server::adopt`).
  void adopt(int fd) { server_->adopt(fd); }

 private:
  void on_start() override;
  void on_request(const Request& request, const Ticket& ticket) override;
  void on_rejected(int status) override { stats().record(status, std::chrono::nanoseconds(0)); }
  void answered(const Ticket& ticket, const Response& response);
  Result<Event> encode(const Request& request);
  // A CloudEvent (binary or structured mode) as its own event; a batch is started here and
  // answered when its last event is.
  Result<Event> as_cloud_event(const Event& request_event, const Ticket& ticket);
  struct Batch {
    Ticket ticket;
    std::vector<detail::EventData> events;
    std::size_t next = 0;       // the first event not answered yet
    std::size_t submitted = 0;  // events handed to the submitter
    bool running = false;       // inside run_batch
    bool answered = false;
    std::string answer;  // the JSON array of answers so far
  };
  void run_batch(const std::shared_ptr<Batch>& batch);

  Server::Options options_;
  std::unique_ptr<Server> server_;
  // Scratch space for encoding events, reused across requests.
  std::vector<detail::EventParts::Pair> headers_;
  std::vector<std::string> field_storage_;
  std::vector<detail::EventParts::Pair> fields_;
  std::vector<std::byte> encoded_;
  EventIds ids_;
  format::CloudEventMode mode_ = format::CloudEventMode::kNone;  // of the request being encoded
};

/// The factory registered as `http`.
Result<std::unique_ptr<Trigger>> make_http_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment);

}  // namespace nimbus::engine::http
