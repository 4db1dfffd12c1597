# Publishes the event's body to the publish binding "out" and counts it in the key-value binding "seen"
# (a binding of both interfaces, `memory`, can stand behind both names).
def handler(context, event):
    count = context.kv("seen").increment("published")
    context.publisher("out").publish("orders", event.body, {"x-count": str(count)})
    return {"published": count}
