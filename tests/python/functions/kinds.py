# Handlers returning each kind of value, logging at each level, raising, and
# an async one.
import asyncio


def text(context, event):
    return "plain text"


def raw(context, event):
    return b"\x00\x01\xff"


def mapping(context, event):
    return {"echo": event.body, "method": event.method, "path": event.path, "fields": event.fields}


def listing(context, event):
    return [1, "two", None]


def status_tuple(context, event):
    return 201, {"created": True}


def status_text(context, event):
    return 404, "nothing here"


def levels(context, event):
    context.logger.debug("debug %d", 1)
    context.logger.info("info")
    context.logger.warn_with("warn", code=7)
    context.logger.error_with("error", reason="testing", nested={"a": [1, 2]})
    return "logged"


def fails(context, event):
    raise ValueError("bad input: " + event.path)


async def later(context, event):
    await asyncio.sleep(0)
    return {"async": True}
