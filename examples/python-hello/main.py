"""The hello function in Python: greets by name (the X-Name header, a JSON
body's "name", the "name" query field, or "world") and remembers whom it has greeted in the `seen`
key-value binding."""

import os


def init_context(context):
    context.user_data.greeting = os.environ.get("GREETING", "hello")


def handler(context, event):
    body = event.body if isinstance(event.body, dict) else {}
    name = event.get_header("X-Name") or body.get("name") or event.fields.get("name") or "world"
    seen = context.kv("seen")
    again = seen.get(name) is not None
    seen.put(name, "1")
    context.logger.info_with("greeting", name=name, again=again)
    if again:
        context.logger.debug(f"{name} was greeted before")
    return context.Response(body={"greeting": f"{context.user_data.greeting}, {name}", "again": again},
                            content_type="application/json")
