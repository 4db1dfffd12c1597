#include "messages.hpp"

#include "nimbus/detail/response_access.hpp"

namespace nimbus::engine::workers {
namespace {

void put(std::byte*& at, const void* data, std::size_t n) noexcept {
  if (n != 0) std::memcpy(at, data, n);
  at += n;
}

std::string_view view(std::span<const std::byte> s) noexcept {
  return {reinterpret_cast<const char*>(s.data()),
          s.size()};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): char view of bytes
}

}  // namespace

std::size_t request_size(std::size_t event_size, std::string_view calls_json) noexcept {
  return sizeof(RequestHeader) + calls_json.size() + event_size;
}

void write_request(std::span<std::byte> out, const RequestHeader& h, std::string_view calls_json,
                   std::span<const std::byte> event) noexcept {
  RequestHeader header = h;
  header.calls_size = static_cast<std::uint32_t>(calls_json.size());
  std::byte* at = out.data();
  put(at, &header, sizeof header);
  put(at, calls_json.data(), calls_json.size());
  put(at, event.data(), event.size());
}

std::optional<RequestView> read_request(std::span<const std::byte> p) noexcept {
  RequestView v;
  if (p.size() < sizeof v.header) return std::nullopt;
  std::memcpy(&v.header, p.data(), sizeof v.header);
  if (p.size() - sizeof v.header < v.header.calls_size) return std::nullopt;
  v.calls_json = view(p.subspan(sizeof v.header, v.header.calls_size));
  v.event = p.subspan(sizeof v.header + v.header.calls_size);
  return v;
}

std::size_t response_size(const Response& r) noexcept {
  std::size_t n = sizeof(ResponseHeader) + r.content_type().size() + r.body().size();
  for (const auto& [k, v] : r.headers()) n += 8 + k.size() + v.size();
  return n;
}

void write_response(std::span<std::byte> out, std::uint64_t request_id, const Response& r) noexcept {
  ResponseHeader h{request_id,
                   r.status(),
                   static_cast<std::uint32_t>(r.headers().size()),
                   static_cast<std::uint32_t>(r.content_type().size()),
                   static_cast<std::uint32_t>(r.body().size()),
                   0};
  std::byte* at = out.data();
  put(at, &h, sizeof h);
  for (const auto& [k, v] : r.headers()) {
    std::uint32_t sizes[2] = {
        static_cast<std::uint32_t>(k.size()),  // NOLINT(modernize-avoid-c-arrays): wire pair
        static_cast<std::uint32_t>(v.size())};
    put(at, sizes, sizeof sizes);
    put(at, k.data(), k.size());
    put(at, v.data(), v.size());
  }
  put(at, r.content_type().data(), r.content_type().size());
  put(at, r.body().data(), r.body().size());
}

std::optional<ResponseView> read_response(std::span<const std::byte> p) noexcept {
  ResponseHeader h{};
  if (p.size() < sizeof h) return std::nullopt;
  std::memcpy(&h, p.data(), sizeof h);
  std::size_t at = sizeof h;
  const std::size_t headers_start = at;
  for (std::uint32_t i = 0; i < h.header_count; ++i) {
    std::uint32_t
        sizes[2];  // NOLINT(modernize-avoid-c-arrays,cppcoreguidelines-pro-type-member-init): read below
    if (p.size() - at < sizeof sizes) return std::nullopt;
    std::memcpy(sizes, p.data() + at, sizeof sizes);
    at += sizeof sizes;
    if (p.size() - at < std::size_t{sizes[0]} + sizes[1]) return std::nullopt;
    at += std::size_t{sizes[0]} + sizes[1];
  }
  if (p.size() - at != std::size_t{h.content_type_size} + h.body_size) return std::nullopt;
  ResponseView v;
  v.request_id = h.request_id;
  v.status = h.status;
  v.header_count = h.header_count;
  v.headers = p.subspan(headers_start, at - headers_start);
  v.content_type = view(p.subspan(at, h.content_type_size));
  v.body = view(p.subspan(at + h.content_type_size, h.body_size));
  return v;
}

std::optional<RecordPartView> read_record_part(std::span<const std::byte> p) noexcept {
  RecordPartView v;
  if (p.size() < sizeof v.header) return std::nullopt;
  std::memcpy(&v.header, p.data(), sizeof v.header);
  v.text = view(p.subspan(sizeof v.header));
  if (v.text.size() > v.header.text_size) return std::nullopt;
  return v;
}

Response ResponseView::to_response() const {
  Response r;
  copy_to(r);
  return r;
}

void ResponseView::copy_to(Response& r) const {
  detail::ResponseAccess::assign(r, status, content_type, body);
  std::size_t at = 0;
  for (std::uint32_t i = 0; i < header_count; ++i) {
    std::uint32_t
        sizes[2];  // NOLINT(modernize-avoid-c-arrays,cppcoreguidelines-pro-type-member-init): read below
    std::memcpy(sizes, headers.data() + at, sizeof sizes);
    at += sizeof sizes;
    detail::ResponseAccess::add_header(r, view(headers.subspan(at, sizes[0])),
                                       view(headers.subspan(at + sizes[0], sizes[1])));
    at += std::size_t{sizes[0]} + sizes[1];
  }
}

LogRecord LogView::to_record() const {
  LogRecord rec;
  rec.level = level;
  rec.message = message;
  rec.fields = fields_json.empty() ? Json::object() : Json::parse(fields_json, nullptr, false);
  if (rec.fields.is_discarded() || !rec.fields.is_object()) rec.fields = Json::object();
  rec.logger = logger;
  rec.time = time;
  return rec;
}

namespace {

template <class T>
void append(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v),
             sizeof v);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

// Reads what write_metrics wrote, checking every length against what is left.
class MetricsReader {
 public:
  explicit MetricsReader(std::span<const std::byte> p) : p_(p) {}
  template <class T>
  bool get(T& v) noexcept {
    if (p_.size() < sizeof v) return false;
    std::memcpy(&v, p_.data(), sizeof v);
    p_ = p_.subspan(sizeof v);
    return true;
  }
  bool text(std::uint32_t size, std::string& out) {
    if (p_.size() < size) return false;
    out.assign(view(p_.first(size)));
    p_ = p_.subspan(size);
    return true;
  }
  [[nodiscard]] std::size_t left() const noexcept { return p_.size(); }

 private:
  std::span<const std::byte> p_;
};

bool read_sample(MetricsReader& in, MetricSample& s) {
  std::uint8_t kind = 0;
  std::uint32_t name_size = 0;
  std::uint32_t labels_size = 0;
  if (!in.get(kind) || !in.get(name_size) || !in.get(labels_size) || !in.text(name_size, s.name) ||
      !in.text(labels_size, s.labels)) {
    return false;
  }
  s.kind = static_cast<MetricKind>(kind);
  if (s.kind == MetricKind::kCounter || s.kind == MetricKind::kGauge) return in.get(s.value);
  if (s.kind != MetricKind::kHistogram) return false;
  std::uint32_t bounds = 0;
  if (!in.get(bounds) || in.left() / (sizeof(double) + sizeof(std::uint64_t)) < bounds) return false;
  s.bounds.resize(bounds);
  s.buckets.resize(std::size_t{bounds} + 1);
  for (auto& b : s.bounds) {
    if (!in.get(b)) return false;
  }
  for (auto& b : s.buckets) {
    if (!in.get(b)) return false;
  }
  return in.get(s.sum) && in.get(s.count);
}

}  // namespace

void write_metrics(std::string& out, std::span<const MetricSample> samples) {
  out.clear();
  append(out, static_cast<std::uint32_t>(samples.size()));
  for (const auto& s : samples) {
    append(out, static_cast<std::uint8_t>(s.kind));
    append(out, static_cast<std::uint32_t>(s.name.size()));
    append(out, static_cast<std::uint32_t>(s.labels.size()));
    out += s.name;
    out += s.labels;
    if (s.kind != MetricKind::kHistogram) {
      append(out, s.value);
      continue;
    }
    append(out, static_cast<std::uint32_t>(s.bounds.size()));
    for (const double b : s.bounds) append(out, b);
    for (const std::uint64_t b : s.buckets) append(out, b);
    append(out, s.sum);
    append(out, s.count);
  }
}

std::optional<std::vector<MetricSample>> read_metrics(std::span<const std::byte> payload) {
  MetricsReader in(payload);
  std::uint32_t count = 0;
  if (!in.get(count) || in.left() / 9 < count) return std::nullopt;  // each series takes 9 bytes at least
  std::vector<MetricSample> out(count);
  for (auto& s : out) {
    if (!read_sample(in, s)) return std::nullopt;
  }
  if (in.left() != 0) return std::nullopt;
  return out;
}

std::optional<QualifiedOffset> read_stream_ack(std::span<const std::byte> p) {
  StreamAckHeader h{};
  if (p.size() < sizeof h) return std::nullopt;
  std::memcpy(&h, p.data(), sizeof h);
  QualifiedOffset q;
  q.partition = h.partition;
  q.offset = h.offset;
  q.topic = std::string(view(p.subspan(sizeof h)));
  return q;
}

std::optional<LogView> read_log(std::span<const std::byte> p) noexcept {
  LogHeader h{};
  if (p.size() < sizeof h) return std::nullopt;
  std::memcpy(&h, p.data(), sizeof h);
  if (h.level > static_cast<std::uint32_t>(LogLevel::kError)) return std::nullopt;
  if (p.size() - sizeof h !=
      std::size_t{h.message_size} + h.fields_size + h.logger_size + h.event_id_size + h.trace_id_size) {
    return std::nullopt;
  }
  LogView v;
  v.request_id = h.request_id;
  v.level = static_cast<LogLevel>(h.level);
  v.time = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(h.time_ns)));
  std::size_t at = sizeof h;
  v.message = view(p.subspan(at, h.message_size));
  at += h.message_size;
  v.fields_json = view(p.subspan(at, h.fields_size));
  at += h.fields_size;
  v.logger = view(p.subspan(at, h.logger_size));
  at += h.logger_size;
  v.event_id = view(p.subspan(at, h.event_id_size));
  at += h.event_id_size;
  v.trace_id = view(p.subspan(at, h.trace_id_size));
  return v;
}

}  // namespace nimbus::engine::workers
