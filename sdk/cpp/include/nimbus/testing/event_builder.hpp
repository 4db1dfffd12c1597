#pragma once
/// @file
/// `nimbus::testing::EventBuilder`: events for unit tests.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/json.hpp"

namespace nimbus::testing {

/// Builds an event the way a trigger would, for calling a handler directly.
/// Defaults: an HTTP request to `/` with id "test-event" from trigger "http";
/// its method, unless told, is GET without a body and POST with one (as in
/// event files and Python's `make_event`).
///
/// ```cpp
/// auto event = nimbus::testing::EventBuilder()
///                  .method("POST").path("/greet")
///                  .header("X-Name", "Ada")
///                  .json({{"count", 2}})
///                  .build();
/// nimbus::Response r = greet(ctx, event);
/// ```
class EventBuilder {
 public:
  EventBuilder() : d_(defaults()) {}

  EventBuilder& id(std::string v) { return set(d_.id, std::move(v)); }
  EventBuilder& trigger(std::string kind, std::string name) {
    d_.trigger_kind = std::move(kind);
    return set(d_.trigger_name, std::move(name));
  }
  EventBuilder& method(std::string v) {
    method_set_ = true;
    return set(d_.method, std::move(v));
  }
  /// Sets the path, and the URL when no query fields were added.
  EventBuilder& path(std::string v) {
    d_.url = v;
    return set(d_.path, std::move(v));
  }
  EventBuilder& url(std::string v) { return set(d_.url, std::move(v)); }
  EventBuilder& header(std::string name, std::string value) {
    d_.headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  EventBuilder& field(std::string name, std::string value) {
    d_.fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  EventBuilder& content_type(std::string v) { return set(d_.content_type, std::move(v)); }
  /// A raw body; the content type is left as it is.
  EventBuilder& body(std::string v) { return set(d_.body, std::move(v)); }
  /// A JSON body with content type `application/json`.
  EventBuilder& json(const Json& v) {
    d_.content_type = "application/json";
    return set(d_.body, v.dump());
  }
  EventBuilder& timestamp(std::chrono::system_clock::time_point t) {
    d_.timestamp = t;
    return *this;
  }
  /// CloudEvents attributes (spec version 1.0 unless told otherwise).
  EventBuilder& cloud_event(std::string type, std::string source, std::string spec_version = "1.0") {
    d_.ce_type = std::move(type);
    d_.ce_source = std::move(source);
    return set(d_.ce_spec_version, std::move(spec_version));
  }
  EventBuilder& subject(std::string v) { return set(d_.ce_subject, std::move(v)); }
  /// A CloudEvents attribute besides the required ones: `subject`, `time`,
  /// `dataschema`, or an extension (any other name).
  EventBuilder& cloud_event_attribute(const std::string& name, std::string value) {
    if (name == "subject") return set(d_.ce_subject, std::move(value));
    if (name == "time") return set(d_.ce_time, std::move(value));
    if (name == "dataschema") return set(d_.ce_data_schema, std::move(value));
    d_.ce_extensions.emplace_back(name, std::move(value));
    return *this;
  }
  /// A stream position: topic, partition (`shard_id`), offset; `num_shards` 0 when unknown.
  EventBuilder& stream(std::string topic, std::int64_t shard_id, std::int64_t offset,
                       std::int64_t num_shards = 0) {
    d_.has_stream = true;
    d_.partition = shard_id;
    d_.num_shards = num_shards;
    d_.offset = offset;
    return set(d_.topic, std::move(topic));
  }
  /// Marks the event the last of its source's batch.
  EventBuilder& last_in_batch(bool v = true) {
    d_.last_in_batch = v;
    return *this;
  }

  /// Encodes the event; the returned buffer converts to `const Event&` and
  /// lives as long as the test keeps it.
  [[nodiscard]] nimbus::detail::EventBuffer build() const {
    if (method_set_ || d_.body.empty()) return nimbus::detail::EventBuffer(d_);
    nimbus::detail::EventData d = d_;
    d.method = std::string("POST");
    return nimbus::detail::EventBuffer(d);
  }

 private:
  // The strings are built, then moved in: GCC 12 at -O3 warns, wrongly, about assigning
  // a literal to an empty std::string (its bug 105651), in every user's test.
  static nimbus::detail::EventData defaults() {
    nimbus::detail::EventData d;
    d.id = std::string("test-event");
    d.trigger_kind = std::string("http");
    d.trigger_name = std::string("http");
    d.method = std::string("GET");
    d.path = std::string("/");
    d.url = std::string("/");
    d.timestamp = std::chrono::system_clock::now();
    return d;
  }
  EventBuilder& set(std::string& field, std::string v) {
    field = std::move(v);
    return *this;
  }
  nimbus::detail::EventData d_;
  bool method_set_ = false;
};

}  // namespace nimbus::testing
