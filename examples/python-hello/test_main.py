# The python-hello function's unit tests, with the nimbus pytest fixtures
# (pip install ./sdk/python registers them): no server, no emulator.
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def test_greets_by_header_and_remembers(nimbus_invoke, nimbus_kv):
    seen = nimbus_kv()
    first = nimbus_invoke("main:handler", headers={"X-Name": "Ada"}, bindings={"seen": seen})
    assert first.status == 200 and first.json() == {"greeting": "hello, Ada", "again": False}
    again = nimbus_invoke("main:handler", path="/?name=Ada", fields={"name": "Ada"}, bindings={"seen": seen})
    assert again.json() == {"greeting": "hello, Ada", "again": True}
    assert seen.operations() == ["get", "put", "get", "put"]
    assert first.logs.messages("info") == ["greeting", "greeting"]
    assert again.logs.messages("debug") == ["Ada was greeted before"]


def test_json_body_name(nimbus_invoke, nimbus_kv):
    result = nimbus_invoke("main:handler", {"name": "Grace"}, bindings={"seen": nimbus_kv()})
    assert result.json()["greeting"] == "hello, Grace"
