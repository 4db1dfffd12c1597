"""The Python SDK: event decoding, return-value mapping, the logger, errors,
bindings, the pytest fixtures, and nuclio's SDK as the reference where both
define the behaviour."""

import datetime
import json
import subprocess
import sys

import pytest

import nimbus
from nimbus import testing


# --- events -----------------------------------------------------------------

def test_json_body_arrives_decoded_and_other_bodies_as_bytes():
    assert nimbus.make_event({"a": [1, 2]}).body == {"a": [1, 2]}
    assert nimbus.make_event(b'{"a": 1}', content_type="application/json; charset=utf-8").body == {"a": 1}
    assert nimbus.make_event(b'{"a": 1}', content_type="text/plain").body == b'{"a": 1}'
    assert nimbus.make_event("caf\u00e9").body == "caf\u00e9".encode()
    assert nimbus.make_event(b"not json", content_type="application/json").body == b"not json"
    assert nimbus.make_event(None).body == b""


def test_body_view_is_the_encoded_bytes_without_a_copy():
    event = nimbus.make_event(b"\x00\x01binary\xff", content_type="application/octet-stream")
    view = event.body_view
    assert isinstance(view, memoryview) and view.readonly
    assert bytes(view) == b"\x00\x01binary\xff" and event.size == 9
    assert view.obj is event._core.owner  # a window on the event's own bytes


def test_stream_and_cloud_event_attributes_have_nuclios_names():
    event = nimbus.make_event(
        b"payload", topic="orders", shard_id=3, num_shards=8, offset=42, last_in_batch=True,
        cloud_event={"type": "com.example.created", "source": "/shop", "subject": "17",
                     "time": "2026-12-01T10:00:00Z", "dataschema": "https://example.com/s.json",
                     "extensions": {"tenant": "acme", "priority": 3}},
        content_type="text/plain", id="ce-1")
    assert (event.topic, event.shard_id, event.num_shards, event.offset, event.last_in_batch) == \
        ("orders", 3, 8, 42, True)
    ce = event.cloud_event
    assert isinstance(ce, nimbus.CloudEvent)
    assert (ce.id, ce.source, ce.type, ce.specversion, ce.subject) == \
        ("ce-1", "/shop", "com.example.created", "1.0", "17")
    assert (ce.time, ce.datacontenttype, ce.dataschema) == \
        ("2026-12-01T10:00:00Z", "text/plain", "https://example.com/s.json")
    assert ce.extensions == {"tenant": "acme", "priority": "3"}
    assert (event.type, event.version, event.type_version) == ("com.example.created", "1.0", "")
    plain = nimbus.make_event(b"x")
    assert plain.cloud_event is None
    assert (plain.topic, plain.shard_id, plain.num_shards, plain.offset, plain.last_in_batch) == ("", 0, 0, 0, False)
    assert (plain.type, plain.version, plain.type_version) == ("", "", "")


def test_headers_are_looked_up_in_any_case():
    event = nimbus.make_event(headers=[("X-Request-Id", "r1"), ("Accept", "a"), ("accept", "b")])
    assert event.get_header("x-request-id") == "r1"
    assert event.get_header("X-REQUEST-ID") == "r1"
    assert event.get_header("missing") is None and event.get_header("missing", "d") == "d"
    assert event.headers["x-request-id"] == "r1" and "X-REQUEST-ID" in event.headers
    assert event.headers.get("ACCEPT") == "a, b"
    assert list(event.headers) == ["X-Request-Id", "Accept"]  # the names as they arrived


def test_event_attributes():
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000)
    event = nimbus.make_event("x", method="PUT", path="/items/7", url="/items/7?full=1", fields={"full": "1"},
                              id="ev-1", trigger_kind="http", trigger_name="web", timestamp=when)
    assert (event.method, event.path, event.url, event.id) == ("PUT", "/items/7", "/items/7?full=1", "ev-1")
    assert event.fields == {"full": "1"}
    assert (event.trigger.kind, event.trigger.name, event.trigger.klass) == ("http", "web", "http")
    assert event.timestamp == when
    assert event.content_type == "text/plain; charset=utf-8"  # as event files say it


def test_bytes_that_are_not_utf8_survive_in_headers():
    event = nimbus.make_event(headers={"X-Raw": "caf\udce9"})  # a lone 0xE9 byte, escaped
    assert event.get_header("x-raw") == "caf\udce9"


def test_bad_encoded_event_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="not a Nimbus event: .*shorter than"):
        nimbus.Event(b"short")


# --- return values ----------------------------------------------------------

@pytest.mark.parametrize("name,status,content_type,body", [
    ("text", 200, "text/plain; charset=utf-8", b"plain text"),
    ("raw", 200, "application/octet-stream", b"\x00\x01\xff"),
    ("listing", 200, "application/json", b'[1, "two", null]'),
    ("status_tuple", 201, "application/json", b'{"created": true}'),
    ("status_text", 404, "text/plain; charset=utf-8", b"nothing here"),
    ("later", 200, "application/json", b'{"async": true}'),
])
def test_return_values_map_to_responses(name, status, content_type, body):
    result = testing.invoke(f"kinds:{name}", "x")
    assert (result.status, result.content_type, result.body) == (status, content_type, body)


def test_a_dict_echoes_the_event_as_json():
    result = testing.invoke("kinds:mapping", {"k": "v"}, method="PATCH", path="/p", fields={"q": "1"})
    assert result.status == 200 and result.content_type == "application/json"
    assert result.json() == {"echo": {"k": "v"}, "method": "PATCH", "path": "/p", "fields": {"q": "1"}}


def test_an_exception_is_a_500_naming_it_and_an_error_record():
    result = testing.invoke("kinds:fails", None, path="/x")
    assert result.status == 500
    assert result.text == "handler error: ValueError: bad input: /x"
    [record] = result.logs.records
    assert record["level"] == "error" and record["message"] == "handler failed"
    assert record["fields"] == {"error": "ValueError: bad input: /x", "event_id": "test-event"}


def test_response_objects_keep_status_headers_and_content_type():
    status, content_type, headers, body = nimbus.to_response(
        nimbus.Response(body="<p>", headers={"X-A": 1}, content_type="text/html", status_code=202))
    assert (status, content_type, headers, body) == (202, "text/html", [("X-A", "1")], b"<p>")


# --- the logger -------------------------------------------------------------

def test_logger_levels_fields_and_formatting():
    result = testing.invoke("kinds:levels")
    assert [(r["level"], r["message"], r["fields"]) for r in result.logs.records] == [
        ("debug", "debug 1", {}),
        ("info", "info", {}),
        ("warn", "warn", {"code": 7}),
        ("error", "error", {"reason": "testing", "nested": {"a": [1, 2]}}),
    ]


def test_records_below_the_level_are_dropped_and_children_are_named():
    logs = nimbus.CapturedLogs(level="warn")
    logs.logger.info("dropped %s", "unformatted")
    logs.logger.child("db").bind(table="users").warn_with("slow", ms=12)
    assert logs.records[0]["logger"] == "db"
    assert logs.records[0]["fields"] == {"table": "users", "ms": 12}
    assert len(logs.records) == 1
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        nimbus.CapturedLogs(level="loud")


# --- functions written for nuclio -------------------------------------------

def test_nuclio_style_function_runs_unchanged(monkeypatch):
    monkeypatch.setenv("GREETING", "hi")
    logs = nimbus.CapturedLogs()
    context = testing.make_context(logs, worker_id=3)
    function = nimbus.Function.load("nuclio_style:handler")
    function.init(context)
    first = testing.Result(function.call(context, nimbus.make_event({"name": "ann"})), logs)
    second = testing.Result(function.call(context, nimbus.make_event(headers={"X-Name": "bo"})), logs)
    assert first.json() == {"message": "hi, ann", "calls": 1, "trigger": "http", "worker": 3}
    assert second.json()["message"] == "hi, bo" and second.header("x-calls") == "2"
    assert logs.records[0]["message"] == "initialized" and logs.records[0]["fields"] == {"greeting": "hi"}


def test_import_nuclio_sdk_gives_nimbus_objects_when_nothing_else_did():
    code = ("import nimbus; nimbus.load_handler('nuclio_style:handler', 'tests/python/functions');"
            "import nuclio_sdk; print(nuclio_sdk.Response is nimbus.Response)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


nuclio_sdk = pytest.importorskip("nuclio_sdk")  # the reference: PyPI's nuclio-sdk


@pytest.mark.parametrize("output", [
    "text", {"a": 1}, [1, 2], (201, "made"), (202, {"b": 2}),
])
def test_return_values_match_nuclio(output):
    reference = nuclio_sdk.Response.from_entrypoint_output(json.dumps, output)
    status, content_type, _, body = nimbus.to_response(output)
    assert status == reference["status_code"]
    assert body.decode() == reference["body"]
    if reference["content_type"] == "application/json":
        assert content_type == "application/json"


def test_response_objects_match_nuclio():
    reference = nuclio_sdk.Response.from_entrypoint_output(
        json.dumps, nuclio_sdk.Response(body={"x": 1}, headers={"H": "v"}, status_code=203))
    for make in (nuclio_sdk.Response, nimbus.Response):  # nuclio's own class works under Nimbus too
        status, content_type, headers, body = nimbus.to_response(
            make(body={"x": 1}, headers={"H": "v"}, status_code=203))
        assert (status, content_type) == (reference["status_code"], reference["content_type"])
        assert dict(headers) == reference["headers"]
        assert json.loads(body) == json.loads(reference["body"])


def test_get_header_matches_nuclio():
    headers = {"Content-Length": "3", "X-Custom": "c"}
    reference = nuclio_sdk.Event(headers=headers)
    ours = nimbus.make_event(headers=headers)
    for name in ("content-length", "X-CUSTOM", "x-custom", "absent"):
        assert ours.get_header(name) == reference.get_header(name)


# --- bindings and the pytest fixtures ----------------------------------------

def test_mocked_kv_binding_records_its_calls(nimbus_invoke, nimbus_kv):
    seen = nimbus_kv({"/a": "1"})
    assert nimbus_invoke("kv_user:handler", path="/a", bindings={"seen": seen}).json() == \
        {"path": "/a", "seen_before": True}
    assert nimbus_invoke("kv_user:handler", path="/b", bindings={"seen": seen}).json() == \
        {"path": "/b", "seen_before": False}
    assert seen.calls == [("get", {"key": "/a"}, "1"), ("put", {"key": "/a", "value": "1"}, None),
                          ("get", {"key": "/b"}, None), ("put", {"key": "/b", "value": "1"}, None)]


def test_a_missing_binding_is_named(nimbus_invoke):
    # The same error type and message as C++'s Context::kv.
    result = nimbus_invoke("kv_user:handler", path="/a")
    assert result.status == 500 and "no data binding named 'seen' (configured: none)" in result.text
    context = testing.make_context(bindings={"b": testing.MockKV(), "a": testing.MockKV()})
    with pytest.raises(nimbus.BindingError) as error:
        context.kv("seen")
    assert str(error.value) == "no data binding named 'seen' (configured: a, b)"
    assert issubclass(nimbus.BindingError, LookupError)


def test_a_mocked_publisher_records_what_was_published_with_the_events_traceparent(
        nimbus_invoke, nimbus_kv, nimbus_publisher):
    out, seen = nimbus_publisher(), nimbus_kv()
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    result = nimbus_invoke("publisher_user:handler", b"order 1", bindings={"out": out, "seen": seen},
                           headers={"traceparent": trace})
    assert result.json() == {"published": 1}
    assert out.messages == [("orders", b"order 1", [("x-count", "1"), ("traceparent", trace)])]
    assert out.calls == [("publish", {"topic": "orders", "payload": "order 1",
                                      "headers": [["x-count", "1"], ["traceparent", trace]]}, None)]
    nimbus_invoke("publisher_user:handler", b"order 2", bindings={"out": out, "seen": seen})
    assert out.topics() == ["orders", "orders"]
    assert out.messages[1] == ("orders", b"order 2", [("x-count", "2")])  # no traceparent: none added


def test_a_mocked_object_store_streams_both_ways_and_records_whole_objects(nimbus_invoke, nimbus_objects):
    files = nimbus_objects({"a/old.bin": b"\x00old"})
    blob = bytes(range(256)) * 1000  # several pieces, and not UTF-8
    octets = "application/octet-stream"

    def call(method, path, body=None):
        return nimbus_invoke("objects_user:handler", body, method=method, path=path, content_type=octets,
                             bindings={"files": files})
    assert call("PUT", "/a/new.bin", blob).json() == {"stored": "a/new.bin", "keys": ["a/new.bin", "a/old.bin"]}
    assert call("GET", "/a/new.bin").body == blob
    missing = call("GET", "/a/none")
    assert missing.status == 404 and missing.text == "no object a/none"
    assert call("DELETE", "/a/old.bin").json() == {"removed": True}
    assert files.keys() == ["a/new.bin"]
    assert files.operations() == ["put_object", "list_objects", "get_object", "get_object", "remove_object"]
    assert files.calls[0] == ("put_object", {"key": "a/new.bin", "data": blob}, None)
    assert files.calls[2] == ("get_object", {"key": "a/new.bin"}, blob)


def test_the_sdks_object_store_streams_files_and_refuses_text_files(tmp_path):
    import io
    store = nimbus._nimbus.MemoryObjectStore()
    big = bytes(range(251)) * 2000  # ~500 KB: many 64 KiB pieces
    store.write_from("big", io.BytesIO(big))
    pieces = []

    class Sink:
        def write(self, piece):
            pieces.append(piece)
    assert store.read_to("big", Sink()) and b"".join(pieces) == big and len(pieces) > 1
    assert store.read_to("none", Sink()) is False
    assert store.get("big") == big and store.get("none") is None
    (tmp_path / "t.txt").write_text("text")
    with open(tmp_path / "t.txt") as text, pytest.raises(TypeError, match="open the file in binary mode"):
        store.write_from("t", text)
    assert store.get("t") is None, "a write that failed stores nothing"
    store.put("s", "caf\u00e9")
    assert store.get("s") == "caf\u00e9".encode() and store.list() == ["big", "s"] and store.remove("s")


def test_an_object_store_is_asked_for_by_its_interface():
    context = testing.make_context(bindings={"files": testing.MockObjects(), "seen": testing.MockKV()})
    assert context.objects("files").put("k", b"v") is None
    with pytest.raises(nimbus.BindingError) as error:
        context.objects("seen")
    assert str(error.value) == "data binding 'seen' gives kv, not an object store (objects)"


def test_a_binding_asked_for_an_interface_it_lacks_is_named():
    context = testing.make_context(bindings={"out": testing.MockPublisher(), "seen": testing.MockKV()})
    with pytest.raises(nimbus.BindingError) as error:
        context.kv("out")
    assert str(error.value) == "data binding 'out' gives publish, not a key-value store (kv)"
    with pytest.raises(nimbus.BindingError) as error:
        context.publisher("seen")
    assert str(error.value) == "data binding 'seen' gives kv, not a publisher (publish)"


def test_events_carry_a_valid_traceparent_only():
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert nimbus.make_event(headers={"TraceParent": trace}).trace_parent == trace
    assert nimbus.make_event(headers={"traceparent": "not-a-trace"}).trace_parent == ""
    assert nimbus.make_event(headers={"traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01"}).trace_parent == ""
    assert nimbus.make_event(cloud_event={"type": "t", "source": "/s", "extensions": {"traceparent": trace}}
                             ).trace_parent == trace
    assert nimbus.make_event().trace_parent == ""


def test_remaining_is_the_time_left_before_the_deadline():
    import math
    import time
    assert testing.make_context().remaining() == math.inf  # a test's context has no deadline
    context = testing.make_context(deadline=time.monotonic() + 5)
    assert 4 < context.remaining() <= 5
    assert testing.make_context(deadline=time.monotonic() - 1).remaining() == 0


def test_test_events_default_their_method_as_event_files_do():
    assert nimbus.make_event().method == "GET"
    assert nimbus.make_event({"a": 1}).method == "POST"
    assert nimbus.make_event("x", method="PUT").method == "PUT"
    assert nimbus.make_event("text").content_type == "text/plain; charset=utf-8"


def test_mock_kv_records_a_ttl_as_tapes_do():
    kv = testing.MockKV()
    kv.put("k", "v", ttl=1.5)
    assert kv.calls == [("put", {"key": "k", "value": "v", "ttl_ms": 1500}, None)]


def test_kv_increments_and_compares_and_sets_and_the_mock_records_both():
    kv = testing.MockKV({"word": "ada"})
    assert kv.increment("n") == 1
    assert kv.increment("n", by=41) == 42
    assert kv.get("n") == "42"
    with pytest.raises(nimbus.BindingError, match="not an integer"):
        kv.increment("word")
    assert kv.compare_and_set("lock", None, "me") is True
    assert kv.compare_and_set("lock", None, "you") is False
    assert kv.compare_and_set("lock", "me", b"you", ttl=60) is True
    assert kv.get("lock") == "you"
    assert kv.calls[0] == ("increment", {"key": "n", "by": 1}, 1)
    assert kv.calls[-2] == ("compare_and_set", {"key": "lock", "expected": "me", "value": b"you", "ttl_ms": 60000},
                            True)


def test_metrics_count_in_a_test_and_wrong_use_is_a_value_error_naming_the_metric(nimbus_invoke,
                                                                                  nimbus_context):
    for path in ("/book", "/book", "/pen"):
        assert nimbus_invoke("metrics_user:handler", b"abcd", path=path, context=nimbus_context).text \
            == "counted by 0"
    metrics = nimbus_context.metrics()
    assert metrics.value("orders_total", {"kind": "book"}) == 2
    assert metrics.value("orders_total", {"kind": "pen"}) == 1
    assert metrics.value("orders_total", {"kind": "absent"}) is None
    sizes = metrics.histogram("body_bytes")
    assert (sizes.count, sizes.sum, sizes.buckets) == (3, 12, [1, 10, 100])
    assert [s["name"] for s in metrics.snapshot()] == ["body_bytes", "orders_total", "orders_total",
                                                       "workers_up"]
    assert nimbus_invoke("metrics_user:handler", path="/bad", context=nimbus_context).text == \
        "metric name 'nimbus_mine' begins with nimbus_, which the engine's own use"
    with pytest.raises(nimbus.MetricError, match="counter 'orders_total' can only go up"):
        metrics.counter("orders_total", {"kind": "book"}).inc(-1)
    with pytest.raises(ValueError, match="metric 'orders_total' is a counter, not a gauge"):
        metrics.gauge("orders_total")
    with pytest.raises(ValueError, match="label name 'function' is not allowed"):
        metrics.counter("x_total", {"function": "f"})


def test_batch_kv_calls_are_one_call_each_and_the_mock_records_them_as_tapes_do(nimbus_kv):
    kv = nimbus_kv({"a": "1"})
    kv.put_many({"b": "2", "c": "3"}, ttl=1.5)
    assert kv.get_many(["c", "none", "a"]) == ["3", None, "1"]
    assert kv.calls == [("put_many", {"entries": [["b", "2"], ["c", "3"]], "ttl_ms": 1500}, None),
                        ("get_many", {"keys": ["c", "none", "a"]}, ["3", None, "1"])]
    store = nimbus._nimbus.memory_kv()
    store.put_many([("x", "1"), ("y", b"2")])
    assert store.get_many(["y", "x"]) == ["2", "1"]
    with pytest.raises(ValueError, match="each entry is a \\(key, value\\) pair"):
        store.put_many([("x", "1", "extra")])


def test_fixtures_share_the_captured_logs(nimbus_invoke, nimbus_logs, nimbus_context, nimbus_event):
    nimbus_context.logger.info("from the context")
    nimbus_invoke("kinds:levels", nimbus_event("x"))
    assert nimbus_logs.messages()[:2] == ["from the context", "debug 1"]


# --- bad handlers -------------------------------------------------------------

@pytest.mark.parametrize("spec,message", [
    ("no_colon", "handler 'no_colon' is not of the form 'module:function'"),
    ("absent_module:handler", "module 'absent_module' not found"),
    ("kinds:absent", "module 'kinds' has no function 'absent'"),
    ("broken_import:handler", "module 'broken_import' failed to import: ModuleNotFoundError"),
])
def test_bad_handler_specs_name_the_module(spec, message):
    with pytest.raises(nimbus.HandlerError, match=message):
        nimbus.Function.load(spec)


def test_a_failing_init_context_names_the_module():
    function = nimbus.Function.load("broken_init:handler")
    with pytest.raises(nimbus.HandlerError,
                       match="init_context of module 'broken_init' failed: RuntimeError: no database configured"):
        function.init(testing.make_context())
