"""The baseline of bench/python: a plain Python worker the way most FaaS
runtimes reach their Python wrappers. It reads length-prefixed JSON events
from a unix socket (the file descriptor in argv[1]), builds an event object,
calls the handler, and writes a length-prefixed JSON response; one event at
a time, blocking."""

import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "noop"))
from main import handler  # noqa: E402


class Event:
    __slots__ = ("id", "method", "path", "headers", "body", "content_type", "trigger")

    def __init__(self, d):
        self.id = d["id"]
        self.method = d["method"]
        self.path = d["path"]
        self.headers = d["headers"]
        self.body = d["body"].encode()
        self.content_type = d["content_type"]
        self.trigger = d["trigger"]


class Context:
    logger = None
    user_data = None
    worker_id = 0


def main():
    sock = socket.socket(fileno=int(sys.argv[1]))
    read = sock.makefile("rb", buffering=65536).read
    send = sock.sendall
    unpack, pack = struct.Struct("<I").unpack, struct.Struct("<I").pack
    context = Context()
    while True:
        head = read(4)
        if len(head) < 4:
            return
        event = Event(json.loads(read(unpack(head)[0])))
        body = handler(context, event)
        answer = json.dumps({"status_code": 200, "content_type": "text/plain", "body": body}).encode()
        send(pack(len(answer)) + answer)


if __name__ == "__main__":
    main()
