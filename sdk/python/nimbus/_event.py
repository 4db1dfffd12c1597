"""The event a handler receives: nuclio's Python `Event` attributes, read in
place from the flat encoding the C++ core reads (`nimbus._nimbus.Event`)."""

import datetime
import json

from . import _nimbus


class Headers(dict):
    """Header names to values, looked up without regard to case (as HTTP
    does) while keeping the names as they arrived."""

    __slots__ = ("_lower",)

    def __init__(self, pairs=()):
        super().__init__()
        self._lower = {}
        for name, value in pairs.items() if isinstance(pairs, dict) else pairs:
            first = self._lower.setdefault(name.lower(), name)
            if first != name or super().__contains__(name):
                # A repeated header (in any case): its values joined under the first name, as HTTP allows.
                value = super().__getitem__(first) + ", " + value
            super().__setitem__(first, value)

    def _key(self, name):
        return self._lower.get(name.lower(), name) if isinstance(name, str) else name

    def __getitem__(self, name):
        return super().__getitem__(self._key(name))

    def __contains__(self, name):
        return super().__contains__(self._key(name))

    def get(self, name, default=None):
        return super().get(self._key(name), default)

    def __setitem__(self, name, value):
        self._lower.setdefault(name.lower(), name)
        super().__setitem__(self._key(name), value)

    def __delitem__(self, name):
        key = self._key(name)
        super().__delitem__(key)
        self._lower.pop(key.lower(), None)


class TriggerInfo:
    """What delivered the event: `kind` ("http", "cron", ...) and `name` (its
    name in function.yaml). `klass` is nuclio's older name for the kind."""

    __slots__ = ("kind", "name")

    def __init__(self, kind="", name=""):
        self.kind = kind
        self.name = name

    @property
    def klass(self):
        return self.kind

    def __repr__(self):
        return f"TriggerInfo(kind={self.kind!r}, name={self.name!r})"


class CloudEvent:
    """A CloudEvent's context attributes (CloudEvents 1.0): `id`, `source`,
    `type`, `specversion`, and `subject`, `time`, `datacontenttype`,
    `dataschema` (None when absent); `extensions` maps each extension
    attribute's name to its value as text. The data is the event's body."""

    __slots__ = ("id", "source", "type", "specversion", "subject", "time", "datacontenttype",
                 "dataschema", "extensions")

    def __init__(self, attributes):
        for name in self.__slots__:
            setattr(self, name, attributes.get(name))
        if self.extensions is None:
            self.extensions = {}

    def __repr__(self):
        return f"CloudEvent(id={self.id!r}, source={self.source!r}, type={self.type!r})"


_UNSET = object()


class Event:
    """One invocation's event. Attributes are decoded from the encoded bytes
    the first time they are read; `body_view` is a memoryview of the body in
    those bytes (no copy; in a worker it is the worker's shared memory, valid
    until the handler returns: keep `event.body` or `bytes(view)` instead);
    `body` is a JSON body decoded when the content type is
    `application/json` (as nuclio does), else the body's bytes."""

    __slots__ = ("_core", "_body", "_headers", "_fields", "_trigger", "_cloud_event")

    def __init__(self, encoded):
        self._core = encoded if isinstance(encoded, _nimbus.Event) else _nimbus.Event(encoded)
        self._body = _UNSET
        self._headers = None
        self._fields = None
        self._trigger = None
        self._cloud_event = _UNSET

    id = property(lambda self: self._core.id)
    method = property(lambda self: self._core.method)
    path = property(lambda self: self._core.path or "/")
    url = property(lambda self: self._core.url)
    content_type = property(lambda self: self._core.content_type)
    # Where a stream event came from (nuclio's names): the topic, subject or
    # stream; its partition and the topic's partition count (0 when unknown); its offset.
    topic = property(lambda self: self._core.topic)
    # The W3C traceparent the event brought (its header, or the CloudEvent's extension; "" when none).
    trace_parent = property(lambda self: self._core.trace_parent)
    shard_id = property(lambda self: self._core.shard_id)
    num_shards = property(lambda self: self._core.num_shards)
    offset = property(lambda self: self._core.offset)
    last_in_batch = property(lambda self: self._core.last_in_batch)

    @property
    def cloud_event(self):
        """The CloudEvents attributes (a `CloudEvent`), or None when the event is not one."""
        if self._cloud_event is _UNSET:
            attributes = self._core.cloud_event()
            self._cloud_event = None if attributes is None else CloudEvent(attributes)
        return self._cloud_event

    @property
    def type(self):
        """A CloudEvent's `type`, else an empty string (nuclio's `event.type`)."""
        ce = self.cloud_event
        return ce.type if ce is not None else ""

    @property
    def version(self):
        """A CloudEvent's `specversion`, else an empty string (nuclio's `event.version`)."""
        ce = self.cloud_event
        return ce.specversion if ce is not None else ""

    @property
    def type_version(self):
        """Always empty: CloudEvents 1.0 has no type version (nuclio's SDK has the field)."""
        return ""

    @property
    def body_view(self):
        start, length = self._core.body_span()
        return memoryview(self._core.owner)[start:start + length]

    @property
    def body(self):
        if self._body is _UNSET:
            raw = bytes(self.body_view)
            self._body = raw
            if self.content_type.split(";", 1)[0].strip().lower() == "application/json" and raw:
                try:
                    self._body = json.loads(raw)
                except ValueError:
                    pass  # not JSON after all: the bytes, as nuclio leaves them
        return self._body

    @body.setter
    def body(self, value):
        self._body = value

    @property
    def size(self):
        return self._core.body_span()[1]

    @property
    def headers(self):
        if self._headers is None:
            self._headers = Headers(self._core.headers())
        return self._headers

    @property
    def fields(self):
        if self._fields is None:
            self._fields = dict(self._core.fields())
        return self._fields

    @property
    def trigger(self):
        if self._trigger is None:
            self._trigger = TriggerInfo(self._core.trigger_kind, self._core.trigger_name)
        return self._trigger

    @property
    def timestamp(self):
        """When the event arrived, as a naive UTC datetime (as nuclio gives it)."""
        ns = self._core.timestamp_ns
        return datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=ns // 1000)

    def get_header(self, name, default=None):
        """The header `name` (any case), or `default`."""
        value = self._core.header(name)
        return default if value is None else value

    def __repr__(self):
        return f"Event(id={self.id!r}, method={self.method!r}, path={self.path!r})"


def make_event(body=None, *, headers=None, fields=None, method=None, path="/", url=None,
               content_type=None, id="test-event", trigger_kind="http", trigger_name="http",
               timestamp=None, cloud_event=None, topic=None, shard_id=0, num_shards=0, offset=0,
               last_in_batch=False):
    """An event built in memory (for tests and `python -m nimbus run`): a dict
    or list body is sent as JSON, a str as UTF-8 text. As in event files and
    C++'s EventBuilder, the method is GET without a body and POST with one,
    unless told. `cloud_event` is a dict of CloudEvents attributes (`type`,
    `source`, `specversion` 1.0 unless given, `subject`, `time`, `dataschema`,
    `extensions`); `topic` makes it a stream event at `shard_id` and `offset`."""
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        content_type = content_type or "application/json"
    elif isinstance(body, str):
        data = body.encode()
        content_type = content_type or "text/plain; charset=utf-8"
    else:
        data = bytes(body or b"")
    if method is None:
        method = "POST" if data else "GET"
    if isinstance(timestamp, datetime.datetime):
        epoch = datetime.datetime(1970, 1, 1, tzinfo=timestamp.tzinfo)
        timestamp = (timestamp - epoch) // datetime.timedelta(microseconds=1) * 1000
    return Event(_nimbus.encode_event({
        "id": id, "trigger_kind": trigger_kind, "trigger_name": trigger_name, "method": method,
        "path": path, "url": url if url is not None else path, "content_type": content_type or "",
        "headers": headers or {}, "fields": fields or {}, "body": data, "timestamp_ns": timestamp,
        "cloud_event": cloud_event, "topic": topic, "shard_id": shard_id, "num_shards": num_shards,
        "offset": offset, "last_in_batch": last_in_batch}))
