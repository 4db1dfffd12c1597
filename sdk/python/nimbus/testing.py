"""Testing Python functions without a server: call a handler the way the
emulator and the engine do, with an event built in memory, captured log
records and mocked bindings whose calls can be asserted.

    from nimbus.testing import invoke, MockKV, MockObjects, MockPublisher

    def test_greets():
        seen = MockKV({"bob": "1"})
        result = invoke(main.handler, {"name": "bob"}, bindings={"seen": seen})
        assert result.status == 200 and result.json() == {"hello": "bob"}
        assert seen.calls == [("get", {"key": "bob"}, "1")]
"""

import json

from . import _nimbus
from ._context import Context
from ._event import Event, make_event
from ._logger import CapturedLogs
from ._runtime import Function


class MockKV:
    """A key-value binding kept in memory (the C++ `MemoryKeyValueStore`)
    that records each call as (operation, arguments, result) in `calls`."""

    interfaces = ("kv",)

    def __init__(self, entries=None):
        self._store = _nimbus.memory_kv({k: v for k, v in (entries or {}).items()})
        self.calls = []

    def _call(self, operation, arguments, run):
        result = run()
        self.calls.append((operation, arguments, result))
        return result

    def get(self, key):
        return self._call("get", {"key": key}, lambda: self._store.get(key))

    def put(self, key, value, ttl=None):
        """`ttl`: seconds; recorded as the tape records it, `ttl_ms`."""
        arguments = {"key": key, "value": value}
        if ttl is not None:
            arguments["ttl_ms"] = round(ttl * 1000)
        return self._call("put", arguments, lambda: self._store.put(key, value, ttl))

    def remove(self, key):
        return self._call("remove", {"key": key}, lambda: self._store.remove(key))

    def list(self, prefix=""):
        return self._call("list", {"prefix": prefix}, lambda: self._store.list(prefix))

    def increment(self, key, by=1):
        return self._call("increment", {"key": key, "by": by}, lambda: self._store.increment(key, by))

    def compare_and_set(self, key, expected, value, ttl=None):
        arguments = {"key": key, "expected": expected, "value": value}
        if ttl is not None:
            arguments["ttl_ms"] = round(ttl * 1000)
        return self._call("compare_and_set", arguments,
                          lambda: self._store.compare_and_set(key, expected, value, ttl))

    def get_many(self, keys):
        keys = list(keys)
        return self._call("get_many", {"keys": keys}, lambda: self._store.get_many(keys))

    def put_many(self, entries, ttl=None):
        """`entries`: a dict or (key, value) pairs; recorded as tapes hold them, `[[key, value], ...]`."""
        pairs = list(entries.items() if isinstance(entries, dict) else entries)
        arguments = {"entries": [[k, v] for k, v in pairs]}
        if ttl is not None:
            arguments["ttl_ms"] = round(ttl * 1000)
        return self._call("put_many", arguments, lambda: self._store.put_many(pairs, ttl))

    def operations(self):
        """The operations called, in order: ["get", "put", ...]."""
        return [c[0] for c in self.calls]


class MockPublisher:
    """A publish binding that keeps what it is given (the C++ `MemoryPublisher`):
    `messages` as (topic, payload bytes, headers as (name, value) pairs), and each
    call as (operation, arguments, result) in `calls`, arguments as tapes hold them."""

    interfaces = ("publish",)

    def __init__(self):
        self._publisher = _nimbus.MemoryPublisher()
        self.calls = []

    def publish(self, topic, payload, headers=None):
        pairs = list(headers.items() if isinstance(headers, dict) else headers or [])
        self._publisher.publish(topic, payload, pairs)
        text = payload.decode("utf-8", "replace") if isinstance(payload, (bytes, bytearray)) else payload
        self.calls.append(("publish", {"topic": topic, "payload": text, "headers": [list(p) for p in pairs]}, None))

    @property
    def messages(self):
        return self._publisher.messages()

    def topics(self):
        """The topics published to, in order."""
        return [m[0] for m in self.messages]


class MockObjects:
    """An object store kept in memory (the C++ `MemoryObjectStore`) that records each
    call as (operation, arguments, result) in `calls`, named as tapes name them:
    get_object {key} -> bytes or None, put_object {key, data: bytes} -> None,
    remove_object {key} -> bool, list_objects {prefix} -> keys. A streamed
    read_to or write_from is recorded as the whole object's get_object or put_object."""

    interfaces = ("objects",)

    def __init__(self, objects=None):
        self._store = _nimbus.MemoryObjectStore()
        for key, data in (objects or {}).items():
            self._store.put(key, data)
        self.calls = []

    def _call(self, operation, arguments, result):
        self.calls.append((operation, arguments, result))
        return result

    def get(self, key):
        return self._call("get_object", {"key": key}, self._store.get(key))

    def put(self, key, data):
        self._store.put(key, data)
        return self._call("put_object", {"key": key, "data": _bytes(data)}, None)

    def read_to(self, key, file):
        data = self._store.get(key)
        self._call("get_object", {"key": key}, data)
        if data is not None:
            file.write(data)
        return data is not None

    def write_from(self, key, file):
        pieces = []
        while piece := file.read(64 * 1024):
            if isinstance(piece, str):
                raise TypeError("write_from: file.read() gave str; open the file in binary mode")
            pieces.append(bytes(piece))
        return self.put(key, b"".join(pieces))

    def remove(self, key):
        return self._call("remove_object", {"key": key}, self._store.remove(key))

    def list(self, prefix=""):
        return self._call("list_objects", {"prefix": prefix}, self._store.list(prefix))

    def keys(self):
        """Every key stored now, sorted (not recorded as a call)."""
        return self._store.list("")

    def operations(self):
        """The operations called, in order: ["get_object", "put_object", ...]."""
        return [c[0] for c in self.calls]


def _bytes(data):
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


class Result:
    """A handler's answer: `status`, `content_type`, `headers` (a list of
    pairs), `body` (bytes), `text`, `json()`, and the `logs` it wrote."""

    def __init__(self, answer, logs):
        self.status, self.content_type, self.headers, self.body = answer
        self.logs = logs

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def __repr__(self):
        return f"Result(status={self.status}, content_type={self.content_type!r}, body={self.body[:80]!r})"


def make_context(logs=None, bindings=None, **options):
    """A context whose logger writes to `logs` (a `CapturedLogs`)."""
    logs = logs or CapturedLogs()
    return Context(logs.logger, bindings=bindings, **options)


def invoke(handler, event=None, *, context=None, logs=None, bindings=None, init=True, **event_options):
    """Calls `handler` (a function, or a 'module:function' spec) with `event`
    (an `Event`, or a body for `make_event` with `event_options`), the way
    the runtime does: return values mapped, exceptions answered 500. With
    `init`, the handler module's `init_context` runs first on a new context."""
    logs = logs or CapturedLogs()
    function = Function.load(handler) if isinstance(handler, str) else Function(_module_of(handler), handler)
    if context is None:
        context = make_context(logs, bindings)
        if init:
            function.init(context)
    if not isinstance(event, Event):
        event = make_event(event, **event_options)
    context._test_trace_parent = event.trace_parent
    return Result(function.call(context, event), logs)


def _module_of(handler):
    import sys
    return sys.modules.get(getattr(handler, "__module__", None) or "", None)
