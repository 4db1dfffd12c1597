"""The logger a handler writes to: nuclio's Python logger methods over the
C++ logger, so records from Python and C++ functions reach the same sinks
with the same levels and fields."""

from . import _nimbus

DEBUG, INFO, WARN, ERROR = _nimbus.DEBUG, _nimbus.INFO, _nimbus.WARN, _nimbus.ERROR


class Logger:
    """`debug/info/warn/error(message, *args)` (args %-formatted into the
    message, as the logging module does) and `debug_with/info_with/
    warn_with/error_with(message, **fields)` for structured fields."""

    __slots__ = ("_core", "_level")

    def __init__(self, core):
        self._core = core
        # The C++ logger's level, one byte read in place: a disabled call costs a comparison,
        # not a call into C++ (the level may change under it: PUT /loglevel, X-Nimbus-Log-Level).
        self._level = core.level_view()

    @property
    def level(self):
        return self._core.level

    @property
    def name(self):
        return self._core.name

    def _log(self, level, message, args, fields):
        if level < self._level[0]:
            return  # below the level: one comparison, nothing formatted
        if args:
            message = str(message) % args
        self._core.log(level, message, fields or None)

    def debug(self, message, *args):
        if self._level[0] > DEBUG:
            return  # the common case, without a second call
        self._log(DEBUG, message, args, None)

    def info(self, message, *args):
        self._log(INFO, message, args, None)

    def warn(self, message, *args):
        self._log(WARN, message, args, None)

    warning = warn

    def error(self, message, *args):
        self._log(ERROR, message, args, None)

    def exception(self, message, *args):
        import traceback
        self._log(ERROR, message, args, {"traceback": traceback.format_exc()})

    def debug_with(self, message, *args, **fields):
        if self._level[0] > DEBUG:
            return
        self._log(DEBUG, message, args, fields)

    def info_with(self, message, *args, **fields):
        self._log(INFO, message, args, fields)

    def warn_with(self, message, *args, **fields):
        self._log(WARN, message, args, fields)

    warning_with = warn_with

    def error_with(self, message, *args, **fields):
        self._log(ERROR, message, args, fields)

    def child(self, name):
        """A logger whose records carry `<this name>.<name>`."""
        return Logger(self._core.child(name))

    def bind(self, **fields):
        """A logger that adds `fields` to every record."""
        return Logger(self._core.bind(fields))


class CapturedLogs:
    """Log records kept in memory: `logger` writes to it, `records` lists
    them as dicts (level, message, fields, logger, time)."""

    def __init__(self, level="debug"):
        self._sink = _nimbus.CaptureSink()
        self.logger = Logger(_nimbus.Logger(self._sink, level))

    @property
    def records(self):
        return self._sink.records()

    def messages(self, level=None):
        return [r["message"] for r in self.records if level is None or r["level"] == level]

    def clear(self):
        self._sink.clear()
