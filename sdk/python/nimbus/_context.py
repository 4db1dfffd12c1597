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


class Context:
    """`logger`, `user_data` (an object to set attributes on, kept across
    invocations of a worker), `worker_id`, `trigger` (`kind`, `name`),
    `Response`, `function_name`, `remaining()` (seconds left until the
    event's deadline), `kv(name)` for a key-value binding and `platform`
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
        self._bindings = dict(bindings or {})
        self._deadline = deadline  # time.monotonic() seconds, or None: no deadline (a test)
        self._core = core          # the host's C++ context, which knows the event's deadline
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

    def binding(self, name):
        """The binding `name` from function.yaml's spec.dataBindings."""
        try:
            return self._bindings[name]
        except KeyError:
            known = ", ".join(sorted(self._bindings)) or "none"
            raise BindingError(f"no data binding named '{name}' (configured: {known})") from None

    def kv(self, name):
        """The key-value binding `name`: get, put(key, value, ttl=seconds), remove, list(prefix)."""
        return self.binding(name)
