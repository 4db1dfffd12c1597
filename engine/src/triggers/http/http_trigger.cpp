#include "http_trigger.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <random>

#include "nimbus/format/text.hpp"

namespace nimbus::engine::http {

HttpTrigger::HttpTrigger(TriggerSpec spec, Server::Options options)
    : Trigger(std::move(spec)), options_(std::move(options)) {
  std::random_device random;
  id_prefix_ = fmt::format("{:08x}{:08x}-", random(), random());
}

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
  if (!event) {
    answered(ticket, Response::text(event.error().message + "\n", 400));
    return;
  }
  submit(*event, {}, [this, ticket](const Response& r) { answered(ticket, r); });
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
  headers_.clear();
  for (const auto& [n, v] : parts.headers) {
    const std::string_view name = n.in(base);
    const std::string_view value = v.in(base);
    headers_.emplace_back(name, value);
    if (name.size() > 3 && (name[0] == 'c' || name[0] == 'C') && (name[1] == 'e' || name[1] == 'E') &&
        name[2] == '-') {  // a binary-mode CloudEvent
      const std::string_view attribute = name.substr(3);
      if (format::iequals(attribute, "type")) p.ce_type = value;
      if (format::iequals(attribute, "source")) p.ce_source = value;
      if (format::iequals(attribute, "specversion")) p.ce_spec_version = value;
      if (format::iequals(attribute, "subject")) p.ce_subject = value;
      if (format::iequals(attribute, "time")) p.ce_time = value;
    }
  }
  if (parts.has_content_type) p.content_type = parts.content_type.in(base);
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
  // An id unique to this trigger's run: a random prefix and a counter.
  std::array<char, 16> counter{};
  auto end = std::to_chars(counter.data(), counter.data() + counter.size(), ++next_id_, 16).ptr;
  std::string id = id_prefix_;
  id.append(counter.data(), end);

  p.id = id;
  p.trigger_kind = "http";
  p.trigger_name = spec().name;
  p.method = request.method();
  p.url = target;
  p.headers = headers_;
  p.fields = fields_;
  p.body = request.body();
  p.timestamp = std::chrono::system_clock::now();
  encoded_.resize(p.encoded_size());
  p.encode_to(encoded_);
  return Event::from_bytes(encoded_);
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
