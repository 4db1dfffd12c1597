"""The Python half of the embedded runtime (src/host.cpp): the C++ host
calls `start` once per worker and `invoke` for each event; the event is read
in place from the host's memory."""

import os
import sys

from . import _nimbus
from ._context import Context
from ._event import Event
from ._logger import Logger
from ._runtime import Function


class Worker:
    """One worker's loaded function and context."""

    __slots__ = ("function", "context", "call")

    def __init__(self, function, context):
        self.function = function
        self.context = context
        self.call = function.call

    def signal(self, kind):
        """The engine drains ("drain") or terminates ("termination"): the function's callback, if any."""
        self.function._await(self.context.platform._on_signal(kind))

    def invoke(self, address, size):
        event = Event(_nimbus.Event.view(address, size))
        self.context._trigger_event = event  # context.trigger names this event's trigger, when asked
        return self.call(self.context, event)


def start(context_address, handler, folder, debug_port=0, python=""):
    """Loads `handler` from `folder`, makes the context, runs `init_context`;
    with `debug_port`, waits for a debugger (debugpy) first."""
    if debug_port:
        # The embedded interpreter uses frozen standard modules; debugpy warns unless told that is fine.
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        import debugpy
        if python:
            debugpy.configure(python=python)  # the adapter runs in this interpreter's environment
        debugpy.listen(("127.0.0.1", debug_port))
        print(f"nimbus: debugpy listening on 127.0.0.1:{debug_port}; waiting for the debugger to attach",
              file=sys.stderr, flush=True)
        debugpy.wait_for_client()
    core = _nimbus.HostedContext(context_address)
    context = Context(Logger(core.logger()), worker_id=core.worker_id, function_name=core.function_name,
                      function_version=core.function_version, core=core)
    function = Function.load(handler, folder or os.getcwd())
    function.init(context)
    return Worker(function, context)
