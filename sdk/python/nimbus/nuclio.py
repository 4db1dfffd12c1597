"""nuclio's `nuclio_sdk` names mapped to Nimbus's objects. Loading a handler
makes `import nuclio_sdk` give this module (unless another `nuclio_sdk` was
imported first), so functions written for nuclio's Python runtime run
unchanged."""

from ._context import Context
from ._event import Event as _Event
from ._event import TriggerInfo, make_event
from ._logger import Logger
from ._platform import Platform, QualifiedOffset
from ._response import Response



class Event(_Event):
    """`nuclio_sdk.Event(body=..., path=..., ...)` as a function builds one (for
    `context.platform.call_function`, or a test): nuclio's constructor, over
    Nimbus's event. The events a handler receives are Nimbus's own."""

    __slots__ = ()

    def __init__(self, body=None, content_type=None, trigger=None, fields=None, headers=None, _id=None,
                 method=None, path=None, size=None, timestamp=None, url=None, shard_id=None, num_shards=None,
                 type=None, type_version=None, version=None, last_in_batch=None, offset=None, topic=None):
        made = make_event(body, headers=headers, fields=fields, method=method, path=path or "/", url=url,
                          content_type=content_type, id=str(_id) if _id is not None else "",
                          trigger_kind=getattr(trigger, "kind", "") or "", trigger_name=getattr(trigger, "name", "") or "",
                          timestamp=timestamp, topic=topic, shard_id=shard_id or 0, num_shards=num_shards or 0,
                          offset=offset or 0, last_in_batch=bool(last_in_batch))
        super().__init__(made._core)


__all__ = ["Context", "Event", "Logger", "Platform", "QualifiedOffset", "Response", "TriggerInfo"]
