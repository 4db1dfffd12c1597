"""Nimbus for Python: the same Context, Event and logger as Nimbus's C++
functions, and nuclio's Python handler conventions (`handler(context,
event)`, `init_context`, `context.logger.info_with`, `context.Response`).

    def handler(context, event):
        context.logger.info_with("greeting", name=event.get_header("X-Name"))
        return {"hello": "world"}
"""

from . import _nimbus
from ._context import BindingError, Context, MetricError
from ._event import CloudEvent, Event, Headers, TriggerInfo, make_event
from ._logger import CapturedLogs, Logger
from ._platform import Platform, QualifiedOffset
from ._response import Response, cloud_event_response, to_response
from ._runtime import Function, HandlerError, load_handler

__version__ = _nimbus.sdk_version

__all__ = ["BindingError", "MetricError", "CloudEvent", "Context", "Event", "Headers", "TriggerInfo", "make_event", "Logger", "CapturedLogs",
           "Response", "cloud_event_response", "to_response", "Function", "HandlerError", "load_handler",
           "Platform", "QualifiedOffset"]
