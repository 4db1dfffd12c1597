# Logs at debug and info, naming its worker; /slow takes a while, so that concurrent requests
# reach every worker.
import time


def handler(context, event):
    context.logger.debug_with("debug", worker=context.worker_id)
    context.logger.info_with("info", worker=context.worker_id)
    if event.path == "/slow":
        time.sleep(0.3)
    return {"worker": context.worker_id}
