#include "http_trigger.hpp"

#include "nimbus/detail/json_string.hpp"
#include "nimbus/format/record.hpp"
#include "nimbus/format/text.hpp"

namespace nimbus::engine::http {

HttpTrigger::HttpTrigger(TriggerSpec spec, Server::Options options)
    : Trigger(std::move(spec)), options_(std::move(options)) {}

Result<void> HttpTrigger::open(EventLoop& loop) noexcept {
  auto server = Server::listen(options_, loop, *this);
  if (!server) return server.error();
  server_ = std::move(*server);
  return {};
}

void HttpTrigger::on_start() {
  if (auto ok = server_->start(); !ok)
    reject("", "HTTP trigger '" + spec().name + "': " + ok.error().message);
}

std::size_t HttpTrigger::max_event_bytes() const noexcept {
  // The body, the headers, and the layout's own few hundred bytes (query fields are decoded from the target).
  return options_.max_body_bytes + 2 * std::size_t{Server::kHeaderLimit} + 4096;
}

void HttpTrigger::on_request(const Request& request, const Ticket& ticket) {
  auto event = encode(request);
  if (event && mode_ != format::CloudEventMode::kNone) event = as_cloud_event(*event, ticket);
  if (!event) {
    reject(request.target(), event.error().message);  // said where the trigger says things, and answered
    answered(ticket, Response::text(event.error().message + "\n", 400));
    return;
  }
  if (mode_ == format::CloudEventMode::kBatch) return;  // as_cloud_event started the batch
  submit(*event, {}, [this, ticket](const Response& r) { answered(ticket, r); });
}

Result<Event> HttpTrigger::as_cloud_event(const Event& request_event, const Ticket& ticket) {
  detail::EventData d = detail::to_event_data(request_event);
  if (mode_ == format::CloudEventMode::kBatch) {
    auto events = format::read_cloud_event_batch(d.body, d);
    if (!events) return events.error();
    auto batch = std::make_shared<Batch>();
    batch->ticket = ticket;
    batch->events = std::move(*events);
    batch->answer = "[";
    run_batch(batch);
    return request_event;  // not submitted: the batch's events are
  }
  if (mode_ == format::CloudEventMode::kBinary) {
    format::BinaryCloudEvent binary;
    for (auto [name, value] : request_event.headers()) {
      if (format::is_ce_header(name)) binary.add(name, value);
    }
    if (auto ok = binary.apply(d); !ok) return ok.error();
  } else if (auto ok = format::read_structured_cloud_event(d.body, d); !ok) {
    return ok.error();
  }
  encoded_ = d.encode();
  return Event::from_bytes(encoded_);
}

// A batch's events run one after another, in order; the answer lists how each went. A submitter
// that answers at once (the emulator) re-enters here from the completion: the loop goes on instead,
// so a long batch never deepens the stack.
void HttpTrigger::run_batch(const std::shared_ptr<Batch>& batch) {
  if (batch->running) return;
  batch->running = true;
  while (batch->submitted == batch->next && batch->next < batch->events.size()) {
    ++batch->submitted;
    const detail::EventBuffer event(batch->events[batch->next]);
    submit(event, {}, [this, batch](const Response& r) {
      if (batch->answer.size() > 1) batch->answer += ',';
      batch->answer += R"({"id":)";
      detail::append_json_string(batch->answer, batch->events[batch->next].id);
      batch->answer += ',';
      format::append_response_members(batch->answer, r, {});
      if (batch->answer.back() == ',') batch->answer.pop_back();
      batch->answer += '}';
      ++batch->next;
      run_batch(batch);
    });
  }
  batch->running = false;
  if (batch->next == batch->events.size() && !batch->answered) {
    batch->answered = true;
    batch->answer += ']';
    answered(batch->ticket, Response::bytes(std::move(batch->answer), "application/json"));
  }
}

void HttpTrigger::answered(const Ticket& ticket, const Response& response) {
  const bool delivered = server_->answer(ticket, response);
  stats().record(response.status(), delivered ? std::chrono::steady_clock::now() - ticket.arrived
                                              : std::chrono::nanoseconds(0));  // the client went away
}

Result<Event> HttpTrigger::encode(const Request& request) {
  const RequestParts& parts = request.parts;
  const char* base = request.base;
  detail::EventParts p;
  bool has_ce_headers = false;
  headers_.clear();
  for (const auto& [n, v] : parts.headers) {
    const std::string_view name = n.in(base);
    const std::string_view value = v.in(base);
    headers_.emplace_back(name, value);
    has_ce_headers = has_ce_headers || format::is_ce_header(name);
  }
  if (parts.has_content_type) p.content_type = parts.content_type.in(base);
  mode_ = format::cloud_event_mode(p.content_type, has_ce_headers);
  const std::string_view target = request.target();
  fields_.clear();
  field_storage_.clear();
  p.path = target;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    p.path = target.substr(0, q);
    format::for_each_query_pair(target.substr(q + 1), [&](std::string k, std::string v) {
      field_storage_.push_back(std::move(k));
      field_storage_.push_back(std::move(v));
    });
    for (std::size_t i = 0; i + 1 < field_storage_.size(); i += 2) {
      fields_.emplace_back(field_storage_[i], field_storage_[i + 1]);
    }
  }
  const std::string id = ids_.next();  // unique to this trigger's run
  p.id = id;
  p.trigger_kind = "http";
  p.trigger_name = spec().name;
  p.method = request.method();
  p.url = target;
  p.headers = headers_;
  p.fields = fields_;
  p.body = request.body();
  p.timestamp = std::chrono::system_clock::now();
  return p.encode_into(encoded_);
}

Result<std::unique_ptr<Trigger>> make_http_trigger(const TriggerSpec& spec,
                                                   const TriggerEnvironment& environment) {
  auto port = integer_attribute(spec, "port", 8080, 0, 65535);
  if (!port) return port.error();
  auto max_body = integer_attribute(spec, "maxRequestBodySize", 1 << 20, 0, 256 << 20);
  if (!max_body) return max_body.error();
  Server::Options options;
  options.host = environment.host;
  options.port = static_cast<int>(*port);
  options.max_body_bytes = static_cast<std::size_t>(*max_body);
  options.what = "HTTP trigger '" + spec.name + "'";
  return std::unique_ptr<Trigger>(std::make_unique<HttpTrigger>(spec, std::move(options)));
}

}  // namespace nimbus::engine::http
