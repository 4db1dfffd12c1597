"""Calling handlers the way nuclio's Python runtime does: `handler(context,
event)` (plain or `async def`), an optional module-level
`init_context(context)` run once per worker, return values mapped to
responses, and an exception turned into a 500 naming it."""

import asyncio
import importlib
import inspect
import os
import sys

from ._response import TEXT, to_response


class HandlerError(Exception):
    """A handler spec that cannot be loaded; the message names the module."""


def load_handler(spec, search_path=None):
    """`module:function` (or `path/to/module.py:function`) → (module, handler).
    `search_path` (the function's folder) is put first on sys.path."""
    module_name, sep, function_name = spec.rpartition(":")
    if not sep or not module_name or not function_name:
        raise HandlerError(f"handler '{spec}' is not of the form 'module:function' (e.g. 'main:handler')")
    if module_name.endswith(".py"):
        path = os.path.abspath(module_name)
        search_path = search_path or os.path.dirname(path)
        module_name = os.path.splitext(os.path.basename(path))[0]
    from . import nuclio
    sys.modules.setdefault("nuclio_sdk", nuclio)  # `import nuclio_sdk` in the handler's module
    if search_path:
        search_path = os.path.abspath(search_path)
        if search_path not in sys.path:
            sys.path.insert(0, search_path)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            where = f" in {search_path}" if search_path else ""
            raise HandlerError(f"module '{module_name}' not found{where}") from None
        raise HandlerError(f"module '{module_name}' failed to import: {type(e).__name__}: {e}") from e
    except Exception as e:
        raise HandlerError(f"module '{module_name}' failed to import: {type(e).__name__}: {e}") from e
    handler = getattr(module, function_name, None)
    if handler is None:
        raise HandlerError(f"module '{module_name}' has no function '{function_name}'")
    if not callable(handler):
        raise HandlerError(f"'{module_name}:{function_name}' is not callable")
    return module, handler


class Function:
    """A loaded handler and its module, ready to be called for events."""

    def __init__(self, module, handler):
        self.module = module
        self.handler = handler
        self._loop = None

    @classmethod
    def load(cls, spec, search_path=None):
        return cls(*load_handler(spec, search_path))

    def init(self, context):
        """Runs the module's `init_context(context)`, if it has one."""
        init = getattr(self.module, "init_context", None)
        if init is None:
            return
        try:
            self._await(init(context))
        except Exception as e:
            raise HandlerError(f"init_context of module '{self.module.__name__}' failed: "
                               f"{type(e).__name__}: {e}") from e

    def _await(self, result):
        if inspect.isawaitable(result):
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            return self._loop.run_until_complete(result)
        return result

    def call(self, context, event):
        """The handler's answer as (status, content_type, headers, body bytes);
        an exception is logged and answered 500 with its message."""
        try:
            output = self.handler(context, event)
            kind = type(output)
            if kind is str:  # the commonest answers, without the general mapping
                return 200, TEXT, [], output.encode("utf-8", "surrogateescape")
            if kind is not bytes and kind is not dict and kind is not list and kind is not tuple:
                output = self._await(output)
            return to_response(output)
        except Exception as e:
            what = f"{type(e).__name__}: {e}"
            context.logger.error_with("handler failed", error=what, event_id=event.id)
            return 500, TEXT, [], ("handler error: " + what).encode("utf-8", "replace")
