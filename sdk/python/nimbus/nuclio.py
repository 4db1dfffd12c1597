"""nuclio's `nuclio_sdk` names mapped to Nimbus's objects. Loading a handler
makes `import nuclio_sdk` give this module (unless another `nuclio_sdk` was
imported first), so functions written for nuclio's Python runtime run
unchanged."""

from ._context import Context
from ._event import Event, TriggerInfo
from ._logger import Logger
from ._response import Response

__all__ = ["Context", "Event", "Logger", "Response", "TriggerInfo"]
