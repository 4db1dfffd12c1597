"""The context a handler receives: nuclio's Python `Context` attributes, and
the function's bindings."""

import types

from ._event import TriggerInfo
from ._response import Response


class Context:
    """`logger`, `user_data` (an object to set attributes on, kept across
    invocations of a worker), `worker_id`, `trigger` (`kind`, `name`),
    `Response`, `function_name`, and `kv(name)` for a key-value binding."""

    Response = Response

    def __init__(self, logger, *, worker_id=0, trigger=None, bindings=None, function_name="",
                 function_version="0"):
        self.logger = logger
        self.user_data = types.SimpleNamespace()
        self.worker_id = worker_id
        self._trigger = trigger or TriggerInfo("http", "http")
        self._trigger_event = None  # set by the runtime: the event at hand names the trigger
        self.function_name = function_name
        self.function_version = function_version
        self._bindings = dict(bindings or {})

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

    def binding(self, name):
        """The binding `name` from function.yaml's spec.dataBindings."""
        try:
            return self._bindings[name]
        except KeyError:
            known = ", ".join(sorted(self._bindings)) or "none"
            raise KeyError(f"no binding named '{name}' (bindings: {known})") from None

    def kv(self, name):
        """The key-value binding `name`: get, put(key, value, ttl=seconds), remove, list(prefix)."""
        return self.binding(name)
