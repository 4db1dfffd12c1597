"""`context.platform`, as nuclio's Python SDK has it: drain and termination
callbacks, explicit acknowledgement of stream messages, and calls to other
functions; the same as C++'s `ctx.platform()`, which does the work."""

import json


class QualifiedOffset:
    """A stream message's place: topic (or stream), partition, offset."""

    def __init__(self, topic, partition, offset):
        self.topic = topic
        self.partition = partition
        self.offset = offset

    @staticmethod
    def from_event(event):
        topic = event.topic if event.topic else event.path  # as nuclio: the path when there is no topic
        return QualifiedOffset(topic, event.shard_id, event.offset)

    def compile_explicit_ack_message(self):
        return {"kind": "streamMessageAck",
                "attributes": {"topic": self.topic, "partition": self.partition, "offset": self.offset}}

    def __repr__(self):
        return f"QualifiedOffset({self.topic!r}, {self.partition!r}, {self.offset!r})"


class Platform:
    """`set_drain_callback`, `set_termination_callback` (each called once,
    with no arguments, when the engine drains on SIGTERM or the emulator
    stops, before the worker exits), `await explicit_ack(qualified_offset)`,
    and `call_function(name, event, timeout=)` (an HTTP call to the function
    whose address is in the environment variable NIMBUS_FUNCTION_URL_<NAME>).
    Without a host (a unit test) acknowledgements are kept in `acks`."""

    def __init__(self, core=None, kind="local", namespace="default"):
        self.kind = kind
        self.namespace = namespace
        self._core = core
        self._drain_callback = None
        self._termination_callback = None
        self.acks = []

    def set_drain_callback(self, callback):
        self._drain_callback = callback

    def set_termination_callback(self, callback):
        self._termination_callback = callback

    async def explicit_ack(self, qualified_offset):
        q = qualified_offset
        if self._core is None:
            self.acks.append(q)
            return
        self._core.explicit_ack(str(q.topic), int(q.partition), int(q.offset))

    def call_function(self, function_name, event, node=None, timeout=None, service_name_override=None):
        from ._response import Response
        if self._core is None:
            raise RuntimeError(f"call_function('{function_name}'): no host to call from (a unit test)")
        body = getattr(event, "body", None)
        content_type = getattr(event, "content_type", None) or "text/plain"
        if isinstance(body, (dict, list)):
            body, content_type = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body = body.encode()
        elif body is None:
            body = b""
        headers = [(str(k), str(v)) for k, v in dict(getattr(event, "headers", None) or {}).items()]
        method = getattr(event, "method", None) or "POST"
        path = getattr(event, "path", None) or "/"
        status, answer_type, answer_headers, answer_body = self._core.call_function(
            service_name_override or function_name, method, path, headers, content_type, bytes(body),
            float(timeout) if timeout else 30.0)
        if answer_type.split(";")[0].strip() == "application/json":
            try:
                answer_body = json.loads(answer_body)
            except ValueError:
                pass
        return Response(headers={k.lower(): v for k, v in answer_headers}, body=answer_body,
                        content_type=answer_type, status_code=status)

    def _on_signal(self, callback_type="termination"):
        if callback_type == "termination" and self._termination_callback:
            return self._termination_callback()
        if callback_type == "drain" and self._drain_callback:
            return self._drain_callback()
        return None
