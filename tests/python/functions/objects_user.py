# Keeps files in the object-store binding "files", streamed both ways: PUT /<key> stores the
# body, GET /<key> answers it (404 when there is none), DELETE /<key> removes it.
import io


def handler(context, event):
    files = context.objects("files")
    key = event.path.lstrip("/")
    if event.method == "PUT":
        files.write_from(key, io.BytesIO(event.body))
        return {"stored": key, "keys": files.list(key.rpartition("/")[0] + "/")}
    if event.method == "DELETE":
        return {"removed": files.remove(key)}
    out = io.BytesIO()
    if not files.read_to(key, out):
        return context.Response(status_code=404, body=f"no object {key}")
    return context.Response(body=out.getvalue(), content_type="application/octet-stream")
