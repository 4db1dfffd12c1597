#pragma once
/// @file
/// CloudEvents 1.0 over HTTP (the HTTP protocol binding and the JSON event
/// format): which mode a request uses, the attributes of each mode read into
/// an event, and the checks every CloudEvent must pass. Errors are one line
/// that names what was wrong; the HTTP trigger answers them with 400.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/result.hpp"

namespace nimbus::format {

/// The only CloudEvents version accepted.
inline constexpr std::string_view kCloudEventsVersion = "1.0";

/// How an HTTP request carries CloudEvents.
enum class CloudEventMode {
  kNone,        ///< not a CloudEvent
  kBinary,      ///< attributes in `ce-*` headers, data in the body
  kStructured,  ///< `application/cloudevents+json`: one event as a JSON object
  kBatch,       ///< `application/cloudevents-batch+json`: a JSON array of events
};

/// The mode of a request whose media type is `content_type` (parameters
/// allowed) and which `has_ce_headers` (some `ce-` header).
[[nodiscard]] CloudEventMode cloud_event_mode(std::string_view content_type, bool has_ce_headers) noexcept;

/// True when `name` can name an extension attribute: lower-case ASCII letters and digits.
[[nodiscard]] bool valid_cloud_event_extension_name(std::string_view name) noexcept;

/// True when `name` is a `ce-` header (any case), whose attribute name follows the prefix.
[[nodiscard]] bool is_ce_header(std::string_view name) noexcept;

/// A CloudEvent's attributes as binary mode's headers give them: every
/// `ce-*` header (name lower-cased, value percent-decoded).
struct BinaryCloudEvent {
  std::vector<std::pair<std::string, std::string>> attributes;
  /// Adds one `ce-` header.
  void add(std::string_view header_name, std::string_view value);
  /// Checks the attributes (required ones present, the version 1.0, a valid
  /// time) and writes them into `into`: `id`, the `ce_*` attributes and the
  /// extensions. The content type and body are the request's.
  [[nodiscard]] Result<void> apply(detail::EventData& into) const;
};

/// Reads one structured-mode event (`json_text`, a JSON object) into
/// `into`: its id, attributes, extensions, content type and body (`data`, or
/// `data_base64` decoded). `into` keeps what the attributes do not set (the
/// trigger, method, path, headers, timestamp).
[[nodiscard]] Result<void> read_structured_cloud_event(std::string_view json_text, detail::EventData& into);

/// Reads a batch (`json_text`, a JSON array of structured events): each
/// event starts as a copy of `base`. An empty array is a batch of none; any
/// event that fails its checks fails the whole batch, naming its index.
[[nodiscard]] Result<std::vector<detail::EventData>> read_cloud_event_batch(std::string_view json_text,
                                                                            const detail::EventData& base);

/// `event`'s attributes as binary mode's headers (what a client sends, and
/// what `BinaryCloudEvent` reads back): `ce-specversion`, `ce-id`,
/// `ce-source`, `ce-type`, then `ce-subject`, `ce-time` and `ce-dataschema`
/// when set, then the extensions; values percent-encoded where the HTTP
/// binding asks (space, `"`, `%` and bytes outside printable ASCII). The
/// content type is the event's own.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> binary_cloud_event_headers(
    const detail::EventData& event);

/// `event` as a structured-mode object (JSON text, what
/// `read_structured_cloud_event` reads back): its attributes, its content
/// type as `datacontenttype`, and its body as `data` (the JSON value for a
/// JSON media type whose body parses; text for other printable UTF-8) or
/// else `data_base64`.
[[nodiscard]] std::string structured_cloud_event(const detail::EventData& event);

}  // namespace nimbus::format
