"""Responses: nuclio's `Response` class, and the mapping of everything a
handler may return to (status, content type, headers, body bytes)."""

import json


class Response:
    """`context.Response(body=, headers=, content_type=, status_code=)`, as in nuclio."""

    def __init__(self, headers=None, body=None, content_type=None, status_code=200, event_id=None):
        self.headers = headers or {}
        self.body = body
        self.status_code = status_code
        self.content_type = content_type or "text/plain"
        self.event_id = event_id

    def ensure_no_ack(self):
        """The stream message is not acknowledged when the handler answers
        (a trigger with `explicitAckMode: enable`): `platform.explicit_ack` does it later."""
        self.headers["X-Nuclio-Stream-No-Ack"] = "true"

    def __repr__(self):
        return (f"Response(status_code={self.status_code!r}, content_type={self.content_type!r}, "
                f"headers={self.headers!r}, body={self.body!r})")


def cloud_event_response(data=None, *, id, source, type, content_type=None, status_code=200, **attributes):
    """A response that is a CloudEvent in binary mode (CloudEvents 1.0's HTTP
    binding), as C++'s `Response::as_cloud_event`: `ce-specversion: 1.0`,
    `ce-id`, `ce-source`, `ce-type` and a `ce-<name>` header for each further
    attribute (`subject=`, `time=`, extensions); the body is its data."""
    headers = {"ce-specversion": "1.0", "ce-id": str(id), "ce-source": str(source), "ce-type": str(type)}
    for name, value in attributes.items():
        headers["ce-" + name] = str(value)
    return Response(headers=headers, body=data, content_type=content_type, status_code=status_code)


TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
OCTETS = "application/octet-stream"


def _json(value):
    return json.dumps(value, default=str).encode()


def _body(value, content_type):
    """A body value as bytes, and the content type it implies when none was given."""
    if value is None:
        return b"", content_type or TEXT
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), content_type or OCTETS
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape"), content_type or TEXT
    if isinstance(value, (dict, list)):
        return _json(value), JSON if content_type in (None, "text/plain") else content_type
    return str(value).encode(), content_type or TEXT


def to_response(output):
    """What a handler returned, as (status, content_type, headers, body):
    str → text, bytes → octets, dict/list → JSON, (status, body) → that
    status, a Response → itself; anything else → its str()."""
    if isinstance(output, Response) or (hasattr(output, "status_code") and hasattr(output, "body")):
        body, content_type = _body(output.body, getattr(output, "content_type", None))
        headers = [(str(k), str(v)) for k, v in (getattr(output, "headers", None) or {}).items()]
        return int(output.status_code), content_type, headers, body
    if isinstance(output, tuple) and len(output) == 2 and isinstance(output[0], int):
        body, content_type = _body(output[1], None)
        return output[0], content_type, [], body
    body, content_type = _body(output, None)
    return 200, content_type, [], body
