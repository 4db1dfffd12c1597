# A function written for nuclio's Python runtime, unchanged: it imports
# nuclio_sdk, keeps state in user_data from init_context, logs with fields,
# and answers with context.Response.
import os

import nuclio_sdk


def init_context(context):
    context.user_data.greeting = os.environ.get("GREETING", "hello")
    context.user_data.calls = 0
    context.logger.info_with("initialized", greeting=context.user_data.greeting)


def handler(context, event):
    context.user_data.calls += 1
    body = event.body if isinstance(event.body, dict) else {}
    name = body.get("name") or event.get_header("x-name") or "world"
    context.logger.debug_with("greeting", name=name, calls=context.user_data.calls)
    return nuclio_sdk.Response(body={"message": f"{context.user_data.greeting}, {name}",
                                  "calls": context.user_data.calls,
                                  "trigger": context.trigger.kind,
                                  "worker": context.worker_id},
                            headers={"X-Calls": str(context.user_data.calls)},
                            content_type="application/json",
                            status_code=200)
