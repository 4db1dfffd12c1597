# Echoes every attribute of the event a handler sees (tests/e2e/test_python.py's
# CloudEvents and stream tests), and answers as a CloudEvent when asked.
import base64

import nimbus


def attributes(context, event):
    ce = event.cloud_event
    body = event.body
    seen = {
        "id": event.id,
        "trigger": {"kind": event.trigger.kind, "name": event.trigger.name},
        "content_type": event.content_type,
        "body": body if isinstance(body, (dict, list, str, int, float)) or body is None
        else {"base64": base64.b64encode(bytes(body)).decode()},
        "path": event.path,
        "topic": event.topic, "shard_id": event.shard_id, "num_shards": event.num_shards,
        "offset": event.offset, "last_in_batch": event.last_in_batch,
        "type": event.type, "type_version": event.type_version, "version": event.version,
        "cloud_event": None if ce is None else {
            name: getattr(ce, name) for name in ("id", "source", "type", "specversion", "subject", "time",
                                                 "datacontenttype", "dataschema", "extensions")},
    }
    if event.get_header("X-Answer-As") == "cloudevent":
        return nimbus.cloud_event_response(seen, id="reply-" + event.id, source="/attributes",
                                           type="com.example.seen", subject=event.id)
    return seen
