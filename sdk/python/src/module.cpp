// nimbus._nimbus: the C++ core under the `nimbus` Python package. Events are
// read in place from their flat encoding (the same bytes a worker reads from
// its ring), log records go through the C++ logger to the same sinks as a C++
// function's, and bindings are the C++ bindings, observed and recorded alike.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nimbus/bindings.hpp>
#include <nimbus/context.hpp>
#include <nimbus/detail/event_data.hpp>
#include <nimbus/event.hpp>
#include <nimbus/logger.hpp>
#include <nimbus/metrics.hpp>
#include <nimbus/version.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "python_values.hpp"

namespace py = pybind11;

namespace nimbus::python {
namespace {

// An event over bytes that Python owns (a `bytes` object kept alive here),
// or over memory the host owns for the length of one invocation (a
// memoryview of it: the event in the worker's ring, read in place).
class PyEvent {
 public:
  explicit PyEvent(py::bytes owner) : owner_(std::move(owner)), event_(parse(bytes_of(owner_))) {}
  PyEvent(std::uintptr_t address, std::size_t size)
      // NOLINTNEXTLINE(performance-no-int-to-ptr): the host passes the event's address
      : event_(parse({reinterpret_cast<const std::byte*>(address), size})) {}
  [[nodiscard]] const Event& event() const { return event_; }
  // The bytes the event lies in: the bytes object, or a read-only memoryview
  // of the host's memory (made when first asked for: most handlers never do).
  [[nodiscard]] const py::object& owner() {
    if (!owner_) {
      const auto bytes = event_.bytes();
      owner_ = py::memoryview::from_memory(bytes.data(), static_cast<py::ssize_t>(bytes.size()));
    }
    return owner_;
  }
  // Where the body lies in the owner's bytes: (offset, length), for a memoryview without a copy.
  [[nodiscard]] std::pair<std::size_t, std::size_t> body_span() const {
    const auto body = event_.body_bytes();
    return {static_cast<std::size_t>(body.data() - event_.bytes().data()), body.size()};
  }

 private:
  static std::span<const std::byte> bytes_of(const py::bytes& b) {
    char* data = nullptr;
    Py_ssize_t size = 0;
    PyBytes_AsStringAndSize(b.ptr(), &data, &size);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): byte view of the bytes object
    return {reinterpret_cast<const std::byte*>(data), static_cast<std::size_t>(size)};
  }
  static Event parse(std::span<const std::byte> bytes) {
    auto e = Event::from_bytes(bytes);
    if (!e) throw py::value_error("not a Nimbus event: " + e.error().message);
    return *e;
  }
  py::object owner_;
  Event event_;
};

py::list pairs_list(const Event::Pairs& pairs) {
  py::list out;
  for (const auto& [name, value] : pairs) out.append(py::make_tuple(to_str(name), to_str(value)));
  return out;
}

// Records kept in memory, for tests and for per-invocation log capture.
class CaptureSink final : public LogSink {
 public:
  void write(const LogRecord& record) override { records_.push_back(record); }
  [[nodiscard]] py::list records() const {
    py::list out;
    for (const auto& r : records_) out.append(record_dict(r));
    return out;
  }
  void clear() { records_.clear(); }

 private:
  std::vector<LogRecord> records_;
};

// A logger as Python holds it: the C++ logger, and what keeps its sink alive.
struct PyLogger {
  Logger own;
  std::shared_ptr<LogSink> sink;  // keeps a test's sink alive; null when the host owns the sink
  // The hosted context's logger itself, which the host swaps for an
  // invocation that asks for its logs (X-Nimbus-Log-Level).
  Logger* context_logger = nullptr;
  [[nodiscard]] const Logger& logger() const { return context_logger != nullptr ? *context_logger : own; }
};

// The C++ context the embedded runtime runs a Python function with, given
// by address (the runtime and this module are separate libraries).
class HostedContext {
 public:
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the host passes its context's address
  explicit HostedContext(std::uintptr_t address) : ctx_(reinterpret_cast<Context*>(address)) {}
  [[nodiscard]] Context& context() const { return *ctx_; }
  // Every binding's name and the interfaces it gives: {"seen": "kv", "out": "kv, publish"}.
  [[nodiscard]] std::map<std::string, std::string> binding_interfaces() const {
    std::map<std::string, std::string> out;
    for (const auto& [name, binding] : ctx_->bindings()) {
      if (binding) out.emplace(name, binding->interfaces());
    }
    return out;
  }

 private:
  Context* ctx_;
};

py::bytes encode_event(const py::dict& d) {
  detail::EventData e;
  auto text = [](const py::dict& from, const char* key, std::string& into) {
    if (from.contains(key) && !from[key].is_none()) into = from_str(from[key]);
  };
  auto pairs = [](const py::dict& from, const char* key,
                  std::vector<std::pair<std::string, std::string>>& into) {
    if (!from.contains(key) || from[key].is_none()) return;
    py::object items = from[key];
    if (py::isinstance<py::dict>(items)) items = items.attr("items")();
    for (const auto& item : items) {
      auto t = py::reinterpret_borrow<py::tuple>(item);
      into.emplace_back(from_str(t[0]), from_str(py::str(t[1])));
    }
  };
  text(d, "id", e.id);
  text(d, "trigger_kind", e.trigger_kind);
  text(d, "trigger_name", e.trigger_name);
  text(d, "content_type", e.content_type);
  text(d, "method", e.method);
  text(d, "path", e.path);
  text(d, "url", e.url);
  pairs(d, "headers", e.headers);
  pairs(d, "fields", e.fields);
  if (d.contains("cloud_event") && !d["cloud_event"].is_none()) {
    const py::dict ce = d["cloud_event"];
    text(ce, "type", e.ce_type);
    text(ce, "source", e.ce_source);
    text(ce, "subject", e.ce_subject);
    text(ce, "time", e.ce_time);
    text(ce, "dataschema", e.ce_data_schema);
    e.ce_spec_version = "1.0";
    text(ce, "specversion", e.ce_spec_version);
    pairs(ce, "extensions", e.ce_extensions);
  }
  if (d.contains("topic") && !d["topic"].is_none()) {
    e.has_stream = true;
    e.topic = from_str(d["topic"]);
    auto number = [&](const char* key, std::int64_t& into) {
      if (d.contains(key) && !d[key].is_none()) into = d[key].cast<std::int64_t>();
    };
    number("shard_id", e.partition);
    number("num_shards", e.num_shards);
    number("offset", e.offset);
  }
  if (d.contains("last_in_batch")) e.last_in_batch = d["last_in_batch"].cast<bool>();
  if (d.contains("body") && !d["body"].is_none()) e.body = body_bytes(d["body"]);
  if (d.contains("timestamp_ns") && !d["timestamp_ns"].is_none()) {
    e.timestamp =
        std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(d["timestamp_ns"].cast<std::int64_t>())));
  } else {
    e.timestamp = std::chrono::system_clock::now();
  }
  // Encoded straight into the bytes object Python gets.
  const std::size_t size = e.encoded_size();
  auto out =
      py::reinterpret_steal<py::bytes>(PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size)));
  if (!out) throw py::error_already_set();
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): byte view of the new bytes object
  e.encode_to({reinterpret_cast<std::byte*>(PyBytes_AsString(out.ptr())), size});
  return out;
}

// A dict's items as metric labels (values as str() gives them).
MetricLabels labels_of(const py::dict& labels) {
  MetricLabels out;
  out.reserve(labels.size());
  for (auto [k, v] : labels) out.emplace_back(py::str(k).cast<std::string>(), py::str(v).cast<std::string>());
  return out;
}

// ctx.metrics(): the C++ SDK's Metrics, with the same names (and prometheus_client's inc, set, observe).
void bind_metrics(py::module_& m) {
  py::register_exception<MetricError>(m, "MetricError", PyExc_ValueError);
  py::class_<Counter>(m, "Counter", "A value that only goes up.")
      .def("inc", &Counter::inc, py::arg("by") = 1.0, "Adds `by` (not negative).")
      .def_property_readonly("value", &Counter::value);
  py::class_<Gauge>(m, "Gauge", "A value that goes up and down.")
      .def("set", &Gauge::set, py::arg("value"))
      .def("inc", &Gauge::inc, py::arg("by") = 1.0)
      .def("dec", &Gauge::dec, py::arg("by") = 1.0)
      .def_property_readonly("value", &Gauge::value);
  py::class_<Histogram>(m, "Histogram", "Observations counted in buckets.")
      .def("observe", &Histogram::observe, py::arg("value"))
      .def_property_readonly("count", &Histogram::count)
      .def_property_readonly("sum", &Histogram::sum)
      .def_property_readonly("buckets", &Histogram::bounds);
  py::class_<Metrics>(m, "Metrics", "A worker's counters, gauges and histograms (ctx.metrics()).")
      .def(py::init<>())
      .def(
          "counter",
          [](Metrics& ms, std::string_view name, const py::dict& labels) -> Counter& {
            return ms.counter(name, labels_of(labels));
          },
          py::arg("name"), py::arg("labels") = py::dict(), py::return_value_policy::reference_internal)
      .def(
          "gauge",
          [](Metrics& ms, std::string_view name, const py::dict& labels) -> Gauge& {
            return ms.gauge(name, labels_of(labels));
          },
          py::arg("name"), py::arg("labels") = py::dict(), py::return_value_policy::reference_internal)
      .def(
          "histogram",
          [](Metrics& ms, std::string_view name, const py::dict& labels, const std::vector<double>& buckets)
              -> Histogram& { return ms.histogram(name, labels_of(labels), buckets); },
          py::arg("name"), py::arg("labels") = py::dict(), py::arg("buckets") = std::vector<double>{},
          py::return_value_policy::reference_internal)
      .def(
          "value",
          [](const Metrics& ms, std::string_view name, const py::dict& labels) {
            return ms.value(name, labels_of(labels));
          },
          py::arg("name"), py::arg("labels") = py::dict(),
          "A counter's or gauge's value; None when there is no such series (for tests).")
      .def("snapshot", [](const Metrics& ms) {
        py::list out;
        for (const auto& sample : ms.snapshot()) {
          py::dict d;
          d["name"] = sample.name;
          d["kind"] = std::string(to_string(sample.kind));
          d["labels"] = sample.labels;
          if (sample.kind == MetricKind::kHistogram) {
            d["count"] = sample.count;
            d["sum"] = sample.sum;
            d["buckets"] = sample.bounds;
            d["counts"] = sample.buckets;
          } else {
            d["value"] = sample.value;
          }
          out.append(d);
        }
        return out;
      });
}

}  // namespace
}  // namespace nimbus::python

PYBIND11_MODULE(_nimbus, m) {
  using namespace nimbus;          // NOLINT(google-build-using-namespace): one module body
  using namespace nimbus::python;  // NOLINT(google-build-using-namespace)
  m.doc() = "The C++ core of the nimbus package (events, logger, bindings).";
  m.attr("sdk_version") = NIMBUS_SDK_VERSION;
  // The C++ SDK's error for a missing binding, as the Python one: the same type and messages.
  py::register_exception<BindingError>(m, "BindingError", PyExc_LookupError);
  bind_metrics(m);

  py::class_<PyEvent>(m, "Event", "An event read in place from its flat encoding.")
      .def(py::init<py::bytes>(), py::arg("encoded"))
      .def_static(
          "view", [](std::uintptr_t address, std::size_t size) { return PyEvent(address, size); },
          "An event in memory the host owns, valid for one invocation (no copy).")
      .def_property_readonly("id", [](const PyEvent& e) { return to_str(e.event().id()); })
      .def_property_readonly("trigger_kind",
                             [](const PyEvent& e) { return to_str(e.event().trigger_kind()); })
      .def_property_readonly("trigger_name",
                             [](const PyEvent& e) { return to_str(e.event().trigger_name()); })
      .def_property_readonly("content_type",
                             [](const PyEvent& e) { return to_str(e.event().content_type()); })
      .def_property_readonly("method", [](const PyEvent& e) { return to_str(e.event().method()); })
      .def_property_readonly("path", [](const PyEvent& e) { return to_str(e.event().path()); })
      .def_property_readonly("url", [](const PyEvent& e) { return to_str(e.event().url()); })
      .def_property_readonly("timestamp_ns",
                             [](const PyEvent& e) {
                               return std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          e.event().timestamp().time_since_epoch())
                                   .count();
                             })
      .def_property_readonly("owner", &PyEvent::owner, py::return_value_policy::reference_internal)
      .def("body_span", &PyEvent::body_span)
      .def("header",
           [](const PyEvent& e, std::string_view name) -> py::object {
             auto v = e.event().header(name);
             return v ? py::object(to_str(*v)) : py::object(py::none());
           })
      .def("headers", [](const PyEvent& e) { return pairs_list(e.event().headers()); })
      .def("fields", [](const PyEvent& e) { return pairs_list(e.event().fields()); })
      .def_property_readonly("topic", [](const PyEvent& e) { return to_str(e.event().topic()); })
      .def_property_readonly("trace_parent",
                             [](const PyEvent& e) { return to_str(e.event().trace_parent()); })
      .def_property_readonly("shard_id", [](const PyEvent& e) { return e.event().shard_id(); })
      .def_property_readonly("num_shards", [](const PyEvent& e) { return e.event().num_shards(); })
      .def_property_readonly("offset", [](const PyEvent& e) { return e.event().offset(); })
      .def_property_readonly("last_in_batch", [](const PyEvent& e) { return e.event().last_in_batch(); })
      .def_property_readonly("from_stream", [](const PyEvent& e) { return e.event().stream().has_value(); })
      // The CloudEvents attributes as a dict (None when not a CloudEvent); the Python
      // CloudEvent object is built from it.
      .def("cloud_event", [](const PyEvent& e) -> py::object {
        auto ce = e.event().cloud_event();
        if (!ce) return py::none();
        py::dict d;
        d["id"] = to_str(ce->id);
        d["source"] = to_str(ce->source);
        d["type"] = to_str(ce->type);
        d["specversion"] = to_str(ce->specversion);
        auto optional = [](std::string_view v) {
          return v.empty() ? py::object(py::none()) : py::object(to_str(v));
        };
        d["subject"] = optional(ce->subject);
        d["time"] = optional(ce->time);
        d["datacontenttype"] = optional(ce->datacontenttype);
        d["dataschema"] = optional(ce->dataschema);
        py::dict extensions;
        for (auto [k, v] : ce->extensions) extensions[to_str(k)] = to_str(v);
        d["extensions"] = extensions;
        return d;
      });

  py::class_<HostedContext>(m, "HostedContext", "The C++ context of the embedded runtime.")
      .def(py::init<std::uintptr_t>(), py::arg("address"))
      .def("logger",
           [](const HostedContext& c) {
             return PyLogger{Logger(), nullptr, &c.context().logger()};
           })
      .def_property_readonly("worker_id", [](const HostedContext& c) { return c.context().worker_id(); })
      .def_property_readonly("remaining_ms",
                             [](const HostedContext& c) { return c.context().remaining().count(); })
      .def_property_readonly("function_name",
                             [](const HostedContext& c) { return c.context().function_name(); })
      .def_property_readonly("function_version",
                             [](const HostedContext& c) { return c.context().function_version(); })
      .def_property_readonly("trace_parent",
                             [](const HostedContext& c) { return c.context().trace_parent(); })
      .def("binding_interfaces", &HostedContext::binding_interfaces)
      .def("explicit_ack",
           [](const HostedContext& c, std::string topic, std::int64_t partition, std::int64_t offset) {
             auto ok =
                 c.context().platform().explicit_ack(QualifiedOffset{std::move(topic), partition, offset});
             if (!ok) throw std::runtime_error(ok.error().message);
           })
      .def("call_function",
           [](const HostedContext& c, std::string_view name, std::string method, std::string path,
              std::vector<std::pair<std::string, std::string>> headers, std::string content_type,
              const py::bytes& body, double timeout_s) {
             FunctionCall call{std::move(method), std::move(path), std::move(headers),
                               std::move(content_type), std::string(body)};
             Result<Response> r = Error{""};
             {
               py::gil_scoped_release unlocked;  // the other function may take a while
               r = c.context().platform().call_function(
                   name, call, std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000)));
             }
             if (!r) throw std::runtime_error(r.error().message);
             return py::make_tuple(r->status(), r->content_type(), r->headers(), py::bytes(r->body()));
           })
      .def(
          "kv",
          [](const HostedContext& c, std::string_view name) -> KeyValueStore& {
            return c.context().kv(name);
          },
          py::return_value_policy::reference)
      .def(
          "publisher",
          [](const HostedContext& c, std::string_view name) -> Publisher& {
            return c.context().publisher(name);
          },
          py::return_value_policy::reference)
      .def(
          "objects",
          [](const HostedContext& c, std::string_view name) -> ObjectStore& {
            return c.context().objects(name);
          },
          py::return_value_policy::reference)
      .def(
          "metrics", [](const HostedContext& c) -> Metrics& { return c.context().metrics(); },
          py::return_value_policy::reference);

  m.def("encode_event", &encode_event, py::arg("event"),
        "Encodes an event given as a dict (id, trigger_kind, trigger_name, method, path, url, "
        "content_type, headers, fields, body, timestamp_ns) into its flat layout.");

  py::class_<CaptureSink, std::shared_ptr<CaptureSink>>(m, "CaptureSink", "Log records kept in memory.")
      .def(py::init<>())
      .def("records", &CaptureSink::records)
      .def("clear", &CaptureSink::clear);

  py::class_<PyLogger>(m, "Logger", "The C++ logger: levels, structured fields, child loggers.")
      .def(py::init([](const std::shared_ptr<CaptureSink>& sink, std::string_view level) {
             auto parsed = parse_log_level(level);
             if (!parsed) throw py::value_error("unknown log level '" + std::string(level) + "'");
             return PyLogger{Logger(sink.get(), *parsed), sink};
           }),
           py::arg("sink"), py::arg("level") = "debug")
      .def("enabled",
           [](const PyLogger& l, int level) { return l.logger().enabled(static_cast<LogLevel>(level)); })
      .def_property_readonly("level",
                             [](const PyLogger& l) { return std::string(to_string(l.logger().level())); })
      .def_property_readonly("name", [](const PyLogger& l) { return l.logger().name(); })
      .def(
          "level_view",
          [](const PyLogger& l) {
            // One read-only byte: the level as the C++ logger holds it now (a hosted context's
            // logger is replaced in place: the view follows it), read without a call.
            auto* level = const_cast<LogLevel*>(
                &l.logger().level_ref());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
            return py::memoryview::from_memory(level, 1, true);
          },
          py::keep_alive<0, 1>())
      .def("log",
           [](const PyLogger& l, int level, py::handle message, const py::handle& fields) {
             const auto lv = static_cast<LogLevel>(level);
             if (!l.logger().enabled(lv)) return;
             l.logger().log(lv, from_str(py::str(message)),
                            fields.is_none() ? Json::object() : to_json(fields));
           })
      .def("child",
           [](const PyLogger& l, std::string_view name) {
             return PyLogger{l.logger().child(name), l.sink};
           })
      .def("bind", [](const PyLogger& l, const py::dict& fields) {
        Json j = to_json(fields);
        Logger bound = l.logger();
        for (const auto& [k, v] : j.items()) bound = bound.bind({{k, v}});
        return PyLogger{std::move(bound), l.sink};
      });

  py::class_<KeyValueStore, std::shared_ptr<KeyValueStore>>(m, "KeyValueStore", "The key-value binding.")
      .def("get",
           [](KeyValueStore& kv, std::string_view key) -> py::object {
             auto v = kv.get(key);
             return v ? py::object(to_str(*v)) : py::object(py::none());
           })
      .def(
          "put",
          [](KeyValueStore& kv, std::string_view key, const py::handle& value, std::optional<double> ttl) {
            std::optional<std::chrono::milliseconds> t;
            if (ttl) t = std::chrono::milliseconds(static_cast<std::int64_t>(*ttl * 1000));
            kv.put(key, body_bytes(value), t);
          },
          py::arg("key"), py::arg("value"), py::arg("ttl") = py::none())
      .def("remove", &KeyValueStore::remove)
      .def("list", &KeyValueStore::list, py::arg("prefix") = "")
      .def("increment", &KeyValueStore::increment, py::arg("key"), py::arg("by") = 1,
           "Adds `by` to the integer under `key` (none: 0) atomically; returns the sum.")
      .def(
          "compare_and_set",
          [](KeyValueStore& kv, std::string_view key, const py::handle& expected, const py::handle& value,
             std::optional<double> ttl) {
            std::optional<std::chrono::milliseconds> t;
            if (ttl) t = std::chrono::milliseconds(static_cast<std::int64_t>(*ttl * 1000));
            std::optional<std::string> want;
            if (!expected.is_none()) want = body_bytes(expected);
            return kv.compare_and_set(key, want ? std::optional<std::string_view>(*want) : std::nullopt,
                                      body_bytes(value), t);
          },
          py::arg("key"), py::arg("expected"), py::arg("value"), py::arg("ttl") = py::none(),
          "Stores `value` only if the value now is `expected` (None: only if absent); True when stored.")
      .def(
          "get_many",
          [](KeyValueStore& kv, const std::vector<std::string>& keys) {
            py::list out;
            for (const auto& v : kv.get_many(keys))
              out.append(v ? py::object(to_str(*v)) : py::object(py::none()));
            return out;
          },
          py::arg("keys"),
          "The values under `keys` (None where there is none), in one round trip where it can.")
      .def(
          "put_many",
          [](KeyValueStore& kv, const py::handle& entries, std::optional<double> ttl) {
            std::optional<std::chrono::milliseconds> t;
            if (ttl) t = std::chrono::milliseconds(static_cast<std::int64_t>(*ttl * 1000));
            const py::object items = py::isinstance<py::dict>(entries)
                                         ? entries.attr("items")()
                                         : py::reinterpret_borrow<py::object>(entries);
            std::vector<std::pair<std::string, std::string>> pairs;
            for (const auto& item : py::iter(items)) {
              const auto pair = item.cast<py::tuple>();
              if (pair.size() != 2) throw py::value_error("put_many: each entry is a (key, value) pair");
              pairs.emplace_back(pair[0].cast<std::string>(), body_bytes(pair[1]));
            }
            kv.put_many(pairs, t);
          },
          py::arg("entries"), py::arg("ttl") = py::none(),
          "Stores every (key, value) of `entries` (a dict or pairs), in one round trip where it can.");
  py::class_<Publisher, std::shared_ptr<Publisher>>(m, "Publisher", "The publish binding.")
      .def(
          "publish",
          [](Publisher& p, std::string_view topic, const py::handle& payload, const py::handle& headers) {
            MessageHeaders h;
            if (!headers.is_none()) {
              auto items = py::reinterpret_borrow<py::object>(headers);
              if (py::isinstance<py::dict>(items)) items = items.attr("items")();
              for (const auto& item : items) {
                auto pair = py::reinterpret_borrow<py::sequence>(item);
                if (pair.size() != 2) throw py::value_error("headers: expected (name, value) pairs");
                h.emplace_back(from_str(py::str(pair[0])), body_bytes(pair[1]));
              }
            }
            const std::string body = body_bytes(payload);
            py::gil_scoped_release unlocked;  // a broker may take a moment to say it has it
            p.publish(topic, body, std::move(h));
          },
          py::arg("topic"), py::arg("payload"), py::arg("headers") = py::none(),
          "Publishes `payload` (bytes or str) with `headers` (a dict or (name, value) pairs) to `topic`.");
  py::class_<ObjectStore, std::shared_ptr<ObjectStore>>(m, "ObjectStore", "The object-store binding.")
      .def(
          "get",
          [](ObjectStore& store, std::string_view key) -> py::object {
            std::optional<std::string> data;
            {
              py::gil_scoped_release unlocked;  // a disk or a server: others run meanwhile
              data = store.get(key);
            }
            return data ? py::object(py::bytes(*data)) : py::object(py::none());
          },
          py::arg("key"), "The object under `key` as bytes, or None.")
      .def(
          "put",
          [](ObjectStore& store, std::string_view key, const py::handle& data) {
            const std::string bytes = body_bytes(data);
            py::gil_scoped_release unlocked;
            store.put(key, bytes);
          },
          py::arg("key"), py::arg("data"),
          "Stores `data` (bytes or str) under `key`, replacing what was there.")
      .def(
          "read_to",
          [](ObjectStore& store, std::string_view key, const py::object& file) {
            py::object write = file.attr("write");
            py::gil_scoped_release unlocked;
            return store.read(key, [&](std::string_view piece) {
              py::gil_scoped_acquire locked;
              write(py::bytes(piece.data(), piece.size()));
            });
          },
          py::arg("key"), py::arg("file"),
          "Streams the object under `key` into `file` (anything with write(bytes)) a piece at a time; "
          "False when there is none.")
      .def(
          "write_from",
          [](ObjectStore& store, std::string_view key, const py::object& file) {
            py::object read = file.attr("read");
            py::gil_scoped_release unlocked;
            store.write(key, [&](std::span<char> room) -> std::size_t {
              py::gil_scoped_acquire locked;
              py::object piece = read(room.size());
              if (PyUnicode_Check(piece.ptr())) {
                throw py::type_error("write_from: file.read() gave str; open the file in binary mode");
              }
              const std::string bytes = body_bytes(piece);
              if (bytes.size() > room.size()) {
                throw py::value_error("write_from: file.read(" + std::to_string(room.size()) + ") gave " +
                                      std::to_string(bytes.size()) + " bytes");
              }
              const std::size_t n = bytes.size();
              std::copy_n(bytes.data(), n, room.data());
              return n;
            });
          },
          py::arg("key"), py::arg("file"),
          "Stores what `file` (anything with read(n) giving bytes) gives until it gives b'' under `key`; "
          "the old object stays whole until the new one is.")
      .def(
          "remove",
          [](ObjectStore& store, std::string_view key) {
            py::gil_scoped_release unlocked;
            return store.remove(key);
          },
          py::arg("key"), "Deletes the object under `key`; True when there was one.")
      .def(
          "list",
          [](ObjectStore& store, std::string_view prefix) {
            py::gil_scoped_release unlocked;
            return store.list(prefix);
          },
          py::arg("prefix") = "", "The keys that start with `prefix`, sorted.");
  py::class_<MemoryObjectStore, ObjectStore, std::shared_ptr<MemoryObjectStore>>(
      m, "MemoryObjectStore", "An object store kept in memory.")
      .def(py::init<>());
  py::class_<MemoryPublisher, Publisher, std::shared_ptr<MemoryPublisher>>(
      m, "MemoryPublisher", "A publisher that keeps what it is given.")
      .def(py::init<>())
      .def("messages", [](MemoryPublisher& p) {
        py::list out;
        for (const auto& message : p.messages()) {
          py::list headers;
          for (const auto& [k, v] : message.headers) headers.append(py::make_tuple(to_str(k), to_str(v)));
          out.append(py::make_tuple(to_str(message.topic), py::bytes(message.payload), headers));
        }
        return out;
      });
  m.def(
      "memory_kv",
      [](const std::map<std::string, std::string>& entries) -> std::shared_ptr<KeyValueStore> {
        return std::make_shared<MemoryKeyValueStore>(entries);
      },
      py::arg("entries") = std::map<std::string, std::string>{}, "An in-memory key-value store.");

  m.attr("DEBUG") = static_cast<int>(LogLevel::kDebug);
  m.attr("INFO") = static_cast<int>(LogLevel::kInfo);
  m.attr("WARN") = static_cast<int>(LogLevel::kWarn);
  m.attr("ERROR") = static_cast<int>(LogLevel::kError);
}
