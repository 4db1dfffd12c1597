"""Counts what it is given in context.metrics(): orders by kind (the path), 1 for
workers_up (a gauge), body sizes (a histogram); /bad asks for a name the
engine keeps for itself and answers with the error. It answers with its worker's id.
"""

import nimbus


def handler(context, event):
    metrics = context.metrics()
    if event.path == "/bad":
        try:
            metrics.counter("nimbus_mine")
        except nimbus.MetricError as e:
            return str(e)
    metrics.counter("orders_total", {"kind": event.path.strip("/")}).inc()
    metrics.gauge("workers_up").set(1)
    body = event.body if isinstance(event.body, bytes) else str(event.body).encode()
    metrics.histogram("body_bytes", buckets=[1, 10, 100]).observe(len(body))
    return f"counted by {context.worker_id}"
