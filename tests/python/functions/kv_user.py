# Uses a key-value binding named "seen".
def handler(context, event):
    seen = context.kv("seen")
    key = event.path
    before = seen.get(key)
    seen.put(key, "1")
    return {"path": key, "seen_before": before is not None}
