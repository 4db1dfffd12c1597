"""The context a handler receives: nuclio's Python `Context` attributes, and
the function's bindings."""

import math
import time
import types

from . import _nimbus
from ._event import TriggerInfo
from ._platform import Platform
from ._response import Response

#: Raised for a binding that is not configured, or of another kind: the C++ SDK's own
#: `nimbus::BindingError`, with the same messages (a LookupError).
BindingError = _nimbus.BindingError

#: A metric used the wrong way (a bad name or label, a name of another kind, a counter
#: decreased): the C++ SDK's `nimbus::MetricError` (a ValueError).
MetricError = _nimbus.MetricError


class Context:
    """`logger`, `user_data` (an object to set attributes on, kept across
    invocations of a worker), `worker_id`, `trigger` (`kind`, `name`),
    `Response`, `function_name`, `remaining()` (seconds left until the
    event's deadline), `kv(name)` for a key-value binding, `objects(name)` for
    an object store, `publisher(name)` for a publish binding, `metrics()`, `trace_parent` (the event's W3C traceparent) and `platform`
    (nuclio's: drain and termination callbacks, `explicit_ack`,
    `call_function`): the same words as C++'s `nimbus::Context`."""

    Response = Response

    def __init__(self, logger, *, worker_id=0, trigger=None, bindings=None, function_name="",
                 function_version="0", deadline=None, core=None):
        self.logger = logger
        self.user_data = types.SimpleNamespace()
        self.worker_id = worker_id
        self._trigger = trigger or TriggerInfo("http", "http")
        self._trigger_event = None  # set by the runtime: the event at hand names the trigger
        self.function_name = function_name
        self.function_version = function_version
        self._bindings = dict(bindings or {})  # a test's own (mocks); a hosted function's are the core's
        self._interfaces = {}  # (name, interface): the binding, once asked for
        self._test_trace_parent = ""  # a test's event's traceparent (testing.invoke sets it)
        self._deadline = deadline  # time.monotonic() seconds, or None: no deadline (a test)
        self._core = core          # the host's C++ context, which knows the event's deadline
        self._metrics = None
        self.platform = Platform(core)

    @property
    def trigger(self):
        """What delivered the event at hand: `kind` and `name`."""
        event = self._trigger_event
        if event is not None:
            self._trigger_event = None
            trigger = event.trigger
            if (trigger.kind, trigger.name) != (self._trigger.kind, self._trigger.name):
                self._trigger = trigger
        return self._trigger

    @trigger.setter
    def trigger(self, value):
        self._trigger = value
        self._trigger_event = None

    @property
    def trigger_name(self):  # nuclio's older attribute
        return self.trigger.name

    def remaining(self):
        """Seconds left until the current event must be answered; 0 once the
        deadline has passed (C++: `ctx.remaining()`); infinite without one."""
        if self._core is not None:
            return self._core.remaining_ms / 1000
        if self._deadline is None:
            return math.inf
        return max(0.0, self._deadline - time.monotonic())

    @property
    def trace_parent(self):
        """The W3C `traceparent` the event at hand brought ("" when none); publishes carry it on."""
        return self._core.trace_parent if self._core is not None else self._test_trace_parent

    def binding(self, name):
        """The binding `name` from function.yaml's spec.dataBindings (a hosted binding of
        several interfaces: its first; `kv(name)`, `objects(name)` and `publisher(name)` ask for one)."""
        if name not in self._bindings and self._core is not None:
            gives = self._core.binding_interfaces().get(name)
            if gives is not None:
                return self._interface(name, gives.split(",")[0].strip())
        try:
            return self._bindings[name]
        except KeyError:
            known = ", ".join(sorted(set(self._bindings) | self._hosted_names())) or "none"
            raise BindingError(f"no data binding named '{name}' (configured: {known})") from None

    def kv(self, name):
        """The key-value binding `name`: get, put(key, value, ttl=seconds), remove, list(prefix),
        increment(key, by=1), compare_and_set(key, expected, value, ttl=None), and in one round trip
        get_many(keys) -> list, put_many(entries, ttl=None)."""
        return self._interface(name, "kv")

    def publisher(self, name):
        """The publish binding `name`: publish(topic, payload, headers=None)."""
        return self._interface(name, "publish")

    def objects(self, name):
        """The object-store binding `name`: get(key) -> bytes or None, put(key, data), remove(key),
        list(prefix=""), and streamed read_to(key, file) and write_from(key, file)."""
        return self._interface(name, "objects")

    def metrics(self):
        """The worker's counters, gauges and histograms, shown at the engine's /metrics summed
        across workers: `counter(name, labels={}).inc(by=1)`, `gauge(name, labels={}).set(v)`
        (`inc`, `dec`), `histogram(name, labels={}, buckets=[]).observe(v)`; `value(name, labels={})`
        reads a counter or gauge (for a test)."""
        if self._metrics is None:
            self._metrics = self._core.metrics() if self._core is not None else _nimbus.Metrics()
        return self._metrics

    _WHAT = {"kv": "a key-value store", "objects": "an object store", "publish": "a publisher"}

    def _interface(self, name, interface):
        found = self._interfaces.get((name, interface))
        if found is not None:
            return found
        if name not in self._bindings and self._core is not None:
            found = getattr(self._core, "publisher" if interface == "publish" else interface)(name)  # C++ checks
        else:
            found = self.binding(name)
            gives = getattr(found, "interfaces", (interface,))
            if interface not in gives:
                raise BindingError(f"data binding '{name}' gives {', '.join(gives)}, not "
                                   f"{self._WHAT.get(interface, interface)} ({interface})")
            if interface == "publish":
                found = _TracedPublisher(found, self)
        self._interfaces[(name, interface)] = found
        return found

    def _hosted_names(self):
        return set(self._core.binding_interfaces()) if self._core is not None else set()


class _TracedPublisher:
    """A test's publish binding as the function sees it: a publish carries the event's
    traceparent on unless its headers name one, as C++'s `Publisher::publish` does."""

    def __init__(self, publisher, context):
        self._publisher = publisher
        self._context = context

    def publish(self, topic, payload, headers=None):
        pairs = list(headers.items() if isinstance(headers, dict) else headers or [])
        trace = self._context.trace_parent
        if trace and not any(str(k).lower() == "traceparent" for k, _ in pairs):
            pairs.append(("traceparent", trace))
        self._publisher.publish(topic, payload, pairs)

    def __getattr__(self, name):  # the mock's own: calls, messages, topics()
        return getattr(self._publisher, name)
