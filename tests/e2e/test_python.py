"""Python functions under the real `nimbus run` and `nimbus serve`: the
embedded runtime in the emulator's process and in worker processes, bad
handlers, a breakpoint hit through debugpy, and record/replay.

Run by ctest (which sets NIMBUS and NIMBUS_SOURCE_DIR).
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from test_serve import Server

NIMBUS = os.environ["NIMBUS"]
SOURCE = Path(os.environ["NIMBUS_SOURCE_DIR"])
FUNCTIONS = SOURCE / "tests" / "python" / "functions"
EVENT = SOURCE / "examples" / "hello" / "events" / "01-world.json"


def nimbus(*args, stdin=None):
    return subprocess.run([NIMBUS, *map(str, args)], input=stdin, capture_output=True, text=True,
                          cwd=SOURCE, timeout=120)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class RunTest(unittest.TestCase):
    """`nimbus run` with Python functions: the emulator's own process."""

    def test_json_echo(self):
        r = nimbus("run", FUNCTIONS / "echo.yaml", "--event", "-", "--json",
                   stdin='{"method": "PUT", "path": "/e?x=1", "body": {"a": [1, 2]}}\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        [response] = json_lines(r.stdout)
        self.assertEqual((response["status"], response["contentType"]), (200, "application/json"))
        self.assertEqual(json.loads(response["body"]),
                         {"echo": {"a": [1, 2]}, "method": "PUT", "path": "/e", "fields": {"x": "1"}})

    def test_the_functions_metrics_follow_the_last_event(self):
        events = '{"path": "/book", "body": "abc"}\n{"path": "/book"}\n{"path": "/pen"}\n'
        r = nimbus("run", FUNCTIONS / "metrics.yaml", "--event", "-", "--json", stdin=events)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = json_lines(r.stdout)
        self.assertEqual(lines[-1], {"type": "metrics", "metrics": [
            {"name": "body_bytes", "kind": "histogram", "labels": "", "count": 3, "sum": 3.0},
            {"name": "orders_total", "kind": "counter", "labels": 'kind="book"', "value": 2.0},
            {"name": "orders_total", "kind": "counter", "labels": 'kind="pen"', "value": 1.0},
            {"name": "workers_up", "kind": "gauge", "labels": "", "value": 1.0}]})
        r = nimbus("run", FUNCTIONS / "metrics.yaml", "--event", "-", stdin=events)
        self.assertIn('metric orders_total{kind="book"} (counter): 2\n', r.stderr)
        self.assertIn("metric body_bytes (histogram): count 3, sum 3\n", r.stderr)

    def test_logs_at_each_level(self):
        r = nimbus("run", FUNCTIONS / "levels.yaml", "--event", EVENT, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        logs = [(x["level"], x["message"], x.get("fields", {})) for x in json_lines(r.stdout) if x["type"] == "log"]
        self.assertEqual(logs, [("debug", "debug 1", {}), ("info", "info", {}), ("warn", "warn", {"code": 7}),
                                ("error", "error", {"reason": "testing", "nested": {"a": [1, 2]}})])
        r = nimbus("run", FUNCTIONS / "levels.yaml", "--event", EVENT, "--json", "--log-level", "warn")
        self.assertEqual([x["level"] for x in json_lines(r.stdout) if x["type"] == "log"], ["warn", "error"])

    def test_a_raising_handler_is_a_500_and_an_error_record(self):
        r = nimbus("run", FUNCTIONS / "fails.yaml", "--event", EVENT, "--json")
        self.assertEqual(r.returncode, 1)  # a failed event
        log, response = json_lines(r.stdout)
        self.assertEqual(response["status"], 500)
        self.assertEqual(response["body"], "handler error: ValueError: bad input: /")
        self.assertEqual((log["level"], log["message"], log["fields"]["error"]),
                         ("error", "handler failed", "ValueError: bad input: /"))

    def test_init_context_user_data_and_env(self):
        events = "".join(json.dumps({"headers": {"X-Name": n}}) + "\n" for n in ("a", "b"))
        r = nimbus("run", FUNCTIONS / "nuclio.yaml", "--event", "-", "--json", stdin=events)
        self.assertEqual(r.returncode, 0, r.stderr)
        bodies = [json.loads(x["body"]) for x in json_lines(r.stdout) if x["type"] == "response"]
        self.assertEqual(bodies, [{"message": "hey, a", "calls": 1, "trigger": "http", "worker": 0},
                                  {"message": "hey, b", "calls": 2, "trigger": "http", "worker": 0}])
        r = nimbus("run", FUNCTIONS / "nuclio.yaml", "--event", EVENT, "--json", "--env", "GREETING=yo")
        self.assertEqual(json.loads(json_lines(r.stdout)[-1]["body"])["message"], "yo, world")

    def test_bad_handlers_are_named_and_nothing_runs(self):
        cases = {
            "bad_handler.yaml": "module 'absent_module' not found in " + str(FUNCTIONS),
            "broken_import.yaml": "module 'broken_import' failed to import: ModuleNotFoundError: "
                                  "No module named 'module_that_does_not_exist'",
            "broken_init.yaml": "init_context of module 'broken_init' failed: RuntimeError: no database configured",
        }
        for name, message in cases.items():
            with self.subTest(name):
                r = nimbus("run", FUNCTIONS / name, "--event", EVENT, "--json")
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertIn(message, r.stderr)
                self.assertIn(str(FUNCTIONS / name), r.stderr)

    def test_a_module_without_function_yaml(self):
        # nimbus run main.py:handler, and the same through python -m nimbus (this Python's package).
        hello = SOURCE / "examples" / "python-hello" / "main.py"
        env = dict(os.environ, NIMBUS=NIMBUS, PYTHONPATH=os.environ.get("NIMBUS_PYTHON_PACKAGE_DIR", ""))
        for command in ([NIMBUS], [sys.executable, "-m", "nimbus"]):
            with self.subTest(command[-1]):
                r = subprocess.run([*command, "run", f"{hello}:handler", "--event", EVENT, "--json", "--bind",
                                    "seen=memory"], capture_output=True, text=True, timeout=120, env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                response = json_lines(r.stdout)[-1]
                self.assertEqual(json.loads(response["body"]), {"greeting": "hello, world", "again": False})
        r = nimbus("run", FUNCTIONS / "kinds.py", "--event", EVENT)
        self.assertEqual((r.returncode, r.stderr.strip()),
                         (2, f"nimbus: {FUNCTIONS / 'kinds.py'}: name the handler, e.g. {FUNCTIONS / 'kinds.py'}:handler"))

    def test_debug_port_is_only_for_python(self):
        r = nimbus("run", SOURCE / "examples/hello/function.yaml", "--event", EVENT, "--debug-port", "5678")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--debug-port is for Python functions", r.stderr)


class ServeTest(unittest.TestCase):
    """`nimbus serve` with Python functions: CPython embedded in each worker process."""

    def test_nuclio_style_function_in_two_worker_processes(self):
        s = Server(FUNCTIONS / "nuclio.yaml")
        try:
            self.assertEqual(s.info["triggers"][0]["workers"], 2)
            answers = [s.request("POST", "/", json.dumps({"name": f"n{i}"}), {"Content-Type": "application/json"})
                       for i in range(20)]
            for i, (status, headers, body) in enumerate(answers):
                self.assertEqual(status, 200)
                self.assertEqual(headers["Content-Type"], "application/json")
                data = json.loads(body)
                self.assertEqual(data["message"], f"hey, n{i}")
                self.assertEqual(headers["X-Calls"], str(data["calls"]))
            # Each worker process has its own interpreter, init_context and user_data.
            per_worker = {}
            for _, _, body in answers:
                data = json.loads(body)
                per_worker.setdefault(data["worker"], []).append(data["calls"])
            for calls in per_worker.values():
                self.assertEqual(calls, list(range(1, len(calls) + 1)))
            self.assertEqual(sum(len(c) for c in per_worker.values()), 20)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_per_request_log_level_returns_that_requests_logs(self):
        # For Python and C++ functions alike; the worker's own level (warn) is unchanged.
        for target in (FUNCTIONS / "levels.yaml", SOURCE / "examples" / "hello" / "function.yaml"):
            with self.subTest(target.parent.name):
                s = Server(target, "--workers", "1", "--log-level", "warn")
                try:
                    _, headers, _ = s.request("GET", "/?name=Ada", headers={"X-Nimbus-Log-Level": "debug"})
                    logs = json.loads(headers["X-Nimbus-Logs"])
                    self.assertIn("info", [r["level"] for r in logs])
                    _, headers, _ = s.request("GET", "/", headers={"X-Nuclio-Log-Level": "error"})
                    self.assertTrue(all(r["level"] == "error" for r in json.loads(headers["X-Nuclio-Logs"])))
                    self.assertNotIn("X-Nimbus-Logs", s.request("GET", "/")[1])
                finally:
                    self.assertEqual(s.stop(), 0)
                self.assertNotIn('"level":"info"', "\n".join(s.stderr_lines))  # the server's log kept its level

    def test_a_module_without_function_yaml(self):
        s = Server(f"{FUNCTIONS / 'kinds.py'}:mapping", "--workers", "2")
        try:
            status, _, body = s.request("POST", "/m?q=1", json.dumps({"a": 1}), {"Content-Type": "application/json"})
            self.assertEqual((status, json.loads(body)),
                             (200, {"echo": {"a": 1}, "method": "POST", "path": "/m", "fields": {"q": "1"}}))
        finally:
            self.assertEqual(s.stop(), 0)

    def test_raise_is_a_500_and_the_worker_goes_on(self):
        s = Server(FUNCTIONS / "fails.yaml", "--workers", "1")
        try:
            for path in ("/a", "/b"):
                status, _, body = s.request("GET", path)
                self.assertEqual((status, body.decode()), (500, f"handler error: ValueError: bad input: {path}"))
            self.assertEqual(s.metric("nimbus_worker_restarts_total"), 0)
        finally:
            s.stop()

    def test_bad_handlers_never_serve(self):
        cases = {
            "bad_handler.yaml": "module 'absent_module' not found in " + str(FUNCTIONS),
            "broken_import.yaml": "module 'broken_import' failed to import: ModuleNotFoundError",
            "broken_init.yaml": "init_context of module 'broken_init' failed: RuntimeError: no database configured",
        }
        for name, message in cases.items():
            with self.subTest(name):
                r = subprocess.run([NIMBUS, "serve", FUNCTIONS / name, "--port", "0", "--admin-port", "0"],
                                   capture_output=True, text=True, timeout=120, cwd=SOURCE)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")  # never the "serving" line
                self.assertIn(message, r.stderr)

    def test_record_in_the_engine_and_replay_in_the_emulator(self):
        with tempfile.TemporaryDirectory() as tmp:
            tape = Path(tmp) / "kv.tape"
            s = Server(FUNCTIONS / "kv.yaml", "--workers", "1", "--record", tape)
            try:
                for path in ("/x", "/x", "/y"):
                    self.assertEqual(s.request("GET", path)[0], 200)
            finally:
                self.assertEqual(s.stop(), 0)
            records = json_lines(tape.read_text())[1:]
            self.assertEqual([r["calls"][0]["operation"] for r in records], ["get", "get", "get"])
            self.assertEqual(records[1]["calls"][0]["result"], "1")  # /x was seen
            r = nimbus("replay", tape, "--function", FUNCTIONS / "kv.yaml")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("3 records: 3 passed", r.stdout)
            r = nimbus("replay", tape, "--function", FUNCTIONS / "kv.yaml", "--engine")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


    def test_a_publish_carries_the_requests_traceparent_onto_the_tape_and_replays(self):
        trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        with tempfile.TemporaryDirectory() as tmp:
            tape = Path(tmp) / "publish.tape"
            s = Server(FUNCTIONS / "publisher.yaml", "--workers", "1", "--record", tape)
            try:
                self.assertEqual(s.request("POST", "/", "one", {"traceparent": trace})[0], 200)
                self.assertEqual(s.request("POST", "/", "two", {})[0], 200)
            finally:
                self.assertEqual(s.stop(), 0)
            records = json_lines(tape.read_text())[1:]
            publishes = [c for r in records for c in r["calls"] if c["operation"] == "publish"]
            self.assertEqual(publishes, [
                {"binding": "out", "operation": "publish", "result": None,
                 "arguments": {"topic": "orders", "payload": "one",
                               "headers": [["x-count", "1"], ["traceparent", trace]]}},
                {"binding": "out", "operation": "publish", "result": None,
                 "arguments": {"topic": "orders", "payload": "two", "headers": [["x-count", "2"]]}}])
            r = nimbus("replay", tape, "--function", FUNCTIONS / "publisher.yaml")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("2 records: 2 passed", r.stdout)


    def test_function_metrics_appear_at_the_admin_port_summed_across_workers(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            shutil.copy(FUNCTIONS / "metrics_user.py", tmp)
            config = tmp / "function.yaml"
            config.write_text("metadata: {name: shop}\nspec:\n  runtime: python\n"
                              "  handler: metrics_user:handler\n")
            s = Server(config, "--workers", "2")
            try:
                answers = []

                def send(first):  # four clients at once: both workers answer some
                    for i in range(first, 40, 4):
                        answers.append(s.request("POST", "/book" if i % 4 else "/pen", b"x" * i,
                                                 {"Content-Type": "text/plain"}))
                clients = [threading.Thread(target=send, args=(k,)) for k in range(4)]
                for c in clients:
                    c.start()
                for c in clients:
                    c.join()
                self.assertEqual({a[0] for a in answers}, {200})
                workers = {a[2] for a in answers}
                self.assertLessEqual(workers, {b"counted by 0", b"counted by 1"})
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:  # each worker sends what it counted when idle
                    _, text = s.admin("/metrics")
                    if 'orders_total{function="shop",kind="book"} 30\n' in text:
                        break
                    time.sleep(0.05)
                self.assertIn("# TYPE orders_total counter\n", text)
                self.assertIn('orders_total{function="shop",kind="book"} 30\n', text)
                self.assertIn('orders_total{function="shop",kind="pen"} 10\n', text)
                self.assertIn("# TYPE body_bytes histogram\n", text)
                self.assertIn('body_bytes_bucket{function="shop",le="1"} 2\n', text)   # bodies of 0 and 1 byte
                self.assertIn('body_bytes_bucket{function="shop",le="10"} 11\n', text)
                self.assertIn('body_bytes_bucket{function="shop",le="+Inf"} 40\n', text)
                self.assertIn('body_bytes_sum{function="shop"} 780\n', text)  # 0 + 1 + ... + 39
                self.assertIn('body_bytes_count{function="shop"} 40\n', text)
                self.assertIn(f'workers_up{{function="shop"}} {len(workers)}\n', text,
                              "a gauge is summed too: one series, 1 from each worker that answered")
                self.assertEqual(s.request("POST", "/bad")[2],
                                 b"metric name 'nimbus_mine' begins with nimbus_, which the engine's own use")
            finally:
                self.assertEqual(s.stop(), 0)

    def test_an_fs_object_store_streams_large_objects_records_them_and_replays_without_the_directory(self):
        blob = os.urandom(1536 * 1024 + 5)  # not UTF-8, many pieces; under the 2 MiB a response can be
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            shutil.copy(FUNCTIONS / "objects_user.py", tmp)
            config = tmp / "function.yaml"
            config.write_text("metadata: {name: objects}\nspec:\n  runtime: python\n"
                              "  handler: objects_user:handler\n"
                              "  dataBindings:\n    files: {kind: fs, path: store}\n")
            tape = tmp / "objects.tape"
            octets = {"Content-Type": "application/octet-stream"}
            s = Server(config, "--workers", "2", "--record", tape, "--max-body-size", 8 * 1024 * 1024)
            try:
                status, _, answer = s.request("PUT", "/films/big.bin", blob, octets)
                self.assertEqual((status, json.loads(answer)), (200, {"stored": "films/big.bin",
                                                                      "keys": ["films/big.bin"]}))
                self.assertEqual((tmp / "store" / "films" / "big.bin").read_bytes(), blob)
                for _ in range(2):  # whichever worker answers reads what the other wrote
                    status, _, answer = s.request("GET", "/films/big.bin")
                    self.assertEqual(status, 200, answer[:300])
                    self.assertTrue(answer == blob, "the object comes back byte for byte")
                status, _, answer = s.request("GET", "/films/none.bin")
                self.assertEqual((status, answer), (404, b"no object films/none.bin"))
                status, _, answer = s.request("GET", "/../function.yaml")
                self.assertEqual(status, 500, "a key cannot leave the store")
                self.assertIn(b"a . or .. segment", answer)
                self.assertEqual(json.loads(s.request("DELETE", "/films/big.bin")[2]), {"removed": True})
                self.assertEqual(list((tmp / "store").iterdir()), [], "the directory the key made went too")
            finally:
                self.assertEqual(s.stop(), 0)
            calls = [c for r in json_lines(tape.read_text())[1:] for c in r["calls"]]
            self.assertEqual([c["operation"] for c in calls],
                             ["put_object", "list_objects", "get_object", "get_object", "get_object",
                              "get_object", "remove_object"])
            self.assertEqual(base64.b64decode(calls[0]["arguments"]["data_base64"]), blob)
            self.assertEqual(base64.b64decode(calls[2]["result"]["data_base64"]), blob)
            shutil.rmtree(tmp / "store")
            r = nimbus("replay", tape, "--function", config)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("6 records: 6 passed", r.stdout)
            self.assertFalse((tmp / "store").exists() and any((tmp / "store").iterdir()),
                             "replay answers from the tape, never the store")

            # The emulator stands an in-memory store in for it: the same answers, no directory.
            events = tmp / "events.ndjson"
            events.write_text('{"method": "PUT", "path": "/a/b.txt", "body": "hello"}\n'
                              '{"method": "GET", "path": "/a/b.txt"}\n')
            r = nimbus("run", config, "--event", events, "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json_lines(r.stdout)
            self.assertEqual(json.loads(out[0]["body"]), {"stored": "a/b.txt", "keys": ["a/b.txt"]})
            self.assertEqual(out[1]["body"], "hello")
            self.assertFalse((tmp / "store" / "a").exists())


class CloudEventsTest(unittest.TestCase):
    """CloudEvents 1.0 over HTTP into a Python function under `nimbus serve`: binary,
    structured and batch mode, every attribute as the handler sees it, every 400 (the
    handler not called), and an answer a CloudEvents SDK reads as a CloudEvent."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(FUNCTIONS / "attributes.yaml")

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.server.stop() == 0
        finally:
            cls.server.__exit__(None, None, None)

    def post(self, body, headers):
        status, response_headers, data = self.server.request("POST", "/orders", body, headers)
        return status, response_headers, data

    def test_binary_mode(self):
        status, _, data = self.post(b'{"n": 1}', {
            "Content-Type": "application/json", "ce-specversion": "1.0", "ce-id": "b-1", "ce-source": "/shop",
            "ce-type": "com.example.created", "ce-subject": "17", "ce-time": "2026-12-01T10:00:00Z",
            "ce-dataschema": "https://example.com/s.json", "ce-tenant": "ac%20me",
            "ce-traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
        self.assertEqual(status, 200, data)
        seen = json.loads(data)
        self.assertEqual(seen["id"], "b-1")
        self.assertEqual(seen["body"], {"n": 1})
        self.assertEqual(seen["cloud_event"], {
            "id": "b-1", "source": "/shop", "type": "com.example.created", "specversion": "1.0", "subject": "17",
            "time": "2026-12-01T10:00:00Z", "datacontenttype": "application/json",
            "dataschema": "https://example.com/s.json",
            "extensions": {"tenant": "ac me",
                           "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
        self.assertEqual((seen["type"], seen["version"], seen["type_version"]), ("com.example.created", "1.0", ""))

    def test_structured_mode_with_json_data_and_base64_data(self):
        event = {"specversion": "1.0", "id": "s-1", "source": "/shop", "type": "com.example.created",
                 "datacontenttype": "application/json", "data": {"n": 2}, "priority": 3, "urgent": True}
        status, _, data = self.post(json.dumps(event), {"Content-Type": "application/cloudevents+json; charset=utf-8"})
        self.assertEqual(status, 200, data)
        seen = json.loads(data)
        self.assertEqual((seen["id"], seen["content_type"], seen["body"]), ("s-1", "application/json", {"n": 2}))
        self.assertEqual(seen["cloud_event"]["extensions"], {"priority": "3", "urgent": "true"})
        self.assertIsNone(seen["cloud_event"]["subject"])
        event = {"specversion": "1.0", "id": "s-2", "source": "/s", "type": "t",
                 "datacontenttype": "application/octet-stream", "data_base64": "AAH/"}
        status, _, data = self.post(json.dumps(event), {"Content-Type": "application/cloudevents+json"})
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["body"], {"base64": "AAH/"})

    def test_batch_mode_runs_each_event_in_order_and_says_how_each_went(self):
        events = [{"specversion": "1.0", "id": f"e{i}", "source": "/b", "type": "t", "data": {"i": i}}
                  for i in range(5)]
        status, headers, data = self.post(json.dumps(events), {"Content-Type": "application/cloudevents-batch+json"})
        self.assertEqual(status, 200, data)
        self.assertEqual(headers["Content-Type"], "application/json")
        answers = json.loads(data)
        self.assertEqual([a["id"] for a in answers], [f"e{i}" for i in range(5)])
        self.assertEqual([a["status"] for a in answers], [200] * 5)
        self.assertEqual([json.loads(a["body"])["body"] for a in answers], [{"i": i} for i in range(5)])
        status, _, data = self.post(b"[]", {"Content-Type": "application/cloudevents-batch+json"})
        self.assertEqual((status, json.loads(data)), (200, []))

    def test_every_invalid_cloud_event_is_a_400_naming_what_was_wrong_and_never_reaches_the_handler(self):
        answered_200 = 'nimbus_events_total{trigger="%s",status="200"}' % self.server.info["triggers"][0]["name"]
        calls_before = self.server.metric(answered_200)
        binary = {"ce-specversion": "1.0", "ce-id": "x", "ce-source": "/s", "ce-type": "t"}
        cases = [
            ({k: v for k, v in binary.items() if k != "ce-id"}, b"", "CloudEvent (binary mode): missing required attribute 'id'"),
            ({k: v for k, v in binary.items() if k != "ce-source"}, b"", "missing required attribute 'source'"),
            ({k: v for k, v in binary.items() if k != "ce-type"}, b"", "missing required attribute 'type'"),
            ({k: v for k, v in binary.items() if k != "ce-specversion"}, b"", "missing required attribute 'specversion'"),
            ({**binary, "ce-specversion": "0.3"}, b"", "specversion '0.3' is not supported (expected 1.0)"),
            ({**binary, "ce-time": "yesterday"}, b"", "attribute 'time': 'yesterday'"),
            ({"Content-Type": "application/cloudevents+json"}, b'{"id": "x", ', "CloudEvent (structured mode): the body is not JSON"),
            ({"Content-Type": "application/cloudevents+json"}, b'[1]', "CloudEvent (structured mode): expected a JSON object, got array"),
            ({"Content-Type": "application/cloudevents+json"}, json.dumps({"specversion": "1.0", "id": "x", "type": "t"}).encode(),
             "CloudEvent (structured mode): missing required attribute 'source'"),
            ({"Content-Type": "application/cloudevents+json"},
             json.dumps({"specversion": "1.0", "id": "x", "source": "/s", "type": "t", "data": 1, "data_base64": "AA=="}).encode(),
             "'data' and 'data_base64' exclude each other"),
            ({"Content-Type": "application/cloudevents+json"},
             json.dumps({"specversion": "1.0", "id": "x", "source": "/s", "type": "t", "Bad-Name": "v"}).encode(),
             "'Bad-Name' is not an attribute name"),
            ({"Content-Type": "application/cloudevents-batch+json"}, b'{"id": "x"}', "CloudEvents batch: expected a JSON array, got object"),
            ({"Content-Type": "application/cloudevents-batch+json"},
             json.dumps([{"specversion": "1.0", "id": "a", "source": "/s", "type": "t"}, {"specversion": "1.0", "id": "b", "source": "/s"}]).encode(),
             "CloudEvents batch: event 1: missing required attribute 'type'"),
        ]
        for headers, body, message in cases:
            with self.subTest(message=message):
                status, _, data = self.post(body, headers)
                self.assertEqual(status, 400, data)
                self.assertIn(message, data.decode())
        self.assertEqual(self.server.metric(answered_200), calls_before)
        status, _, _ = self.post(b"", binary)  # the metric counts what did reach the handler
        self.assertEqual((status, self.server.metric(answered_200)), (200, calls_before + 1))

    def test_a_cloud_event_answer_is_read_by_the_cloudevents_sdk(self):
        from cloudevents.http import from_http
        status, headers, data = self.post(b"hi", {"Content-Type": "text/plain", "X-Answer-As": "cloudevent",
                                                  "ce-specversion": "1.0", "ce-id": "q-1", "ce-source": "/c",
                                                  "ce-type": "t"})
        self.assertEqual(status, 200, data)
        answer = from_http(dict(headers), data)
        self.assertEqual((answer["id"], answer["source"], answer["type"], answer["specversion"], answer["subject"]),
                         ("reply-q-1", "/attributes", "com.example.seen", "1.0", "q-1"))
        self.assertEqual(answer.data["cloud_event"]["id"], "q-1")


class Dap:
    """A minimal Debug Adapter Protocol client (what VS Code speaks to debugpy)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""
        self.seq = 0
        self.messages = []

    def send(self, command, **arguments):
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def receive(self):
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536) or self._closed()
        head, rest = self.buffer.split(b"\r\n\r\n", 1)
        length = int(head.split(b":")[1])
        while len(rest) < length:
            rest += self.sock.recv(65536) or self._closed()
        self.buffer = rest[length:]
        message = json.loads(rest[:length])
        self.messages.append(message)
        return message

    def _closed(self):
        raise AssertionError(f"debugpy closed the connection; seen: {self.messages}")

    def wait_for(self, kind, name):
        """The next event (or response) named `name`."""
        while True:
            m = self.receive()
            if m["type"] == kind and m.get("event" if kind == "event" else "command") == name:
                return m


class DebugTest(unittest.TestCase):
    def test_a_breakpoint_in_a_handler_is_hit_through_debugpy(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        source = FUNCTIONS / "kinds.py"
        line = next(i for i, text in enumerate(source.read_text().splitlines(), 1) if 'return "plain text"' in text)
        # The output goes to a file: debugpy's adapter process inherits the descriptors and
        # outlives nimbus until the client goes, so a pipe would not reach its end.
        output = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen([NIMBUS, "run", FUNCTIONS / "text.yaml", "--event", EVENT, "--json",
                                 "--debug-port", str(port)],
                                stdout=output, stderr=subprocess.PIPE, text=True, cwd=SOURCE)
        dap = None
        try:
            said = []
            while not said or ("debugpy listening" not in said[-1] and said[-1]):  # up to the line saying it waits
                said.append(proc.stderr.readline())
            self.assertIn(f"nimbus: debugpy listening on 127.0.0.1:{port}", said[-1], said)
            dap = Dap(port)
            dap.send("initialize", clientID="nimbus-test", adapterID="debugpy", pathFormat="path",
                     linesStartAt1=True, columnsStartAt1=True)
            dap.wait_for("response", "initialize")
            dap.send("attach", justMyCode=False)
            dap.wait_for("event", "initialized")
            dap.send("setBreakpoints", source={"path": str(source)}, breakpoints=[{"line": line}])
            verified = dap.wait_for("response", "setBreakpoints")["body"]["breakpoints"]
            self.assertTrue(verified[0]["verified"], verified)
            dap.send("configurationDone")
            stopped = dap.wait_for("event", "stopped")
            self.assertEqual(stopped["body"]["reason"], "breakpoint")
            thread = stopped["body"]["threadId"]
            dap.send("stackTrace", threadId=thread, levels=1)
            frame = dap.wait_for("response", "stackTrace")["body"]["stackFrames"][0]
            self.assertEqual((frame["name"], frame["line"], Path(frame["source"]["path"]).name),
                             ("text", line, "kinds.py"))
            self.assertIsNone(proc.poll())  # held at the breakpoint
            dap.send("continue", threadId=thread)
            self.assertEqual(proc.wait(60), 0)
            output.seek(0)
            self.assertEqual(json_lines(output.read())[-1]["body"], "plain text")
        finally:
            if dap is not None:
                dap.sock.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
            output.close()


if __name__ == "__main__":
    unittest.main()
