"""Integration tests of `nimbus serve`: the real processor, real worker
processes (or threads), real HTTP over loopback.

Run by ctest (which sets NIMBUS, NIMBUS_FIXTURES and NIMBUS_SOURCE_DIR), or by
hand: NIMBUS=build/cli/nimbus NIMBUS_FIXTURES=build/tests/fixtures \
      NIMBUS_SOURCE_DIR=. python3 -m unittest -v test_serve
"""

import contextlib
import shutil
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NIMBUS = os.environ["NIMBUS"]
FIXTURES = Path(os.environ["NIMBUS_FIXTURES"])
SOURCE = Path(os.environ["NIMBUS_SOURCE_DIR"])
HELLO = SOURCE / "examples" / "hello" / "function.yaml"
CRASHES = FIXTURES / "crashes.so"


class Server:
    """A running `nimbus serve` on free loopback ports."""

    def __init__(self, target, *args, env=None, host="127.0.0.1"):
        self.proc = subprocess.Popen(
            [NIMBUS, "serve", str(target), "--host", host, "--port", "0", "--admin-port", "0", *map(str, args)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=SOURCE,
            env=None if env is None else {**os.environ, **env})
        line = self.proc.stdout.readline()  # the one machine-readable line, once both ports listen
        if not line:
            raise AssertionError(f"nimbus serve did not start: {self.proc.stderr.read()}")
        self.info = json.loads(line)
        self.port = self.info["port"]
        self.admin_port = self.info["adminPort"]
        self.stderr_lines = []
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def admin(self, path, method="GET", body=None, headers=None, address="127.0.0.1"):
        c = http.client.HTTPConnection(address, self.admin_port, timeout=10)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def metric(self, name):
        _, text = self.admin("/metrics")
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return 0.0

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


@contextlib.contextmanager
def started_process(argv, cwd, env=None):
    """A process with its output piped, killed if it is still running at the end."""
    proc = subprocess.Popen(list(map(str, argv)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def raw_exchange(port, data, timeout=10):
    """Sends raw bytes and returns everything the server sends back before it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered and closed before reading it all
            pass
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, socket.timeout):
            pass
        return b"".join(chunks)


class HelloTest(unittest.TestCase):
    """HTTP round trips with the hello example, in both worker modes."""

    def round_trips(self, mode):
        with Server(HELLO, "--worker-mode", mode, "--workers", "2") as s:
            self.assertEqual(s.info["triggers"], [{"name": "http", "kind": "http", "workers": 2,
                                                   "workerMode": mode, "port": s.port}])
            status, headers, body = s.request("GET", "/greet?name=Ada")
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "application/json")
            self.assertEqual(json.loads(body), {"greeting": "hello, Ada", "again": False})
            status, _, body = s.request("POST", "/", body=json.dumps({"name": "Bo"}),
                                        headers={"Content-Type": "application/json"})
            self.assertEqual((status, json.loads(body)), (200, {"greeting": "hello, Bo", "again": False}))
            status, _, body = s.request("GET", "/", headers={"X-Name": "Cy"})
            self.assertEqual(json.loads(body)["greeting"], "hello, Cy")

            # Keep-alive: many requests on one connection.
            c = s.connection()
            for i in range(20):
                c.request("GET", f"/?name=k{i}")
                r = c.getresponse()
                self.assertEqual(json.loads(r.read())["greeting"], f"hello, k{i}")
            c.close()

            # Pipelining: several requests written at once are answered in order.
            pipelined = b"".join(f"GET /?name=p{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(5))
            reply = raw_exchange(s.port, pipelined + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            names = [json.loads(part.split(b"\r\n\r\n", 1)[1].split(b"}")[0] + b"}")["greeting"]
                     for part in reply.split(b"HTTP/1.1 200 OK")[1:]]
            self.assertEqual(names, [f"hello, p{i}" for i in range(5)] + ["hello, world"])

            # The function's logs arrive as JSON lines on stderr.
            self.assertEqual(s.admin("/live"), (200, "live\n"))
            self.assertEqual(s.admin("/ready"), (200, "ready\n"))
            self.assertEqual(s.metric('nimbus_events_total{trigger="http",status="200"}'), 29)
            self.assertEqual(s.metric('nimbus_workers{trigger="http"}'), 2)
            self.assertEqual(s.stop(), 0)
            logs = [json.loads(l) for l in s.stderr_lines if l.startswith("{")]
            self.assertIn({"name": "Ada", "again": False}, [l.get("fields") for l in logs if l["message"] == "greeting"])

    def test_process_mode(self):
        self.round_trips("process")

    def test_thread_mode(self):
        self.round_trips("thread")

    def test_ten_thousand_requests_over_a_hundred_connections(self):
        with Server(HELLO, "--log-level", "warn") as s:
            def client(n):
                c = s.connection()
                wrong = []
                for i in range(100):
                    name = f"c{n}-{i}"
                    c.request("GET", f"/?name={name}")
                    r = c.getresponse()
                    body = r.read()
                    if r.status != 200 or json.loads(body)["greeting"] != f"hello, {name}":
                        wrong.append((name, r.status, body))
                c.close()
                return wrong
            with ThreadPoolExecutor(100) as pool:
                wrong = [w for ws in pool.map(client, range(100)) for w in ws]
            self.assertEqual(wrong, [])
            self.assertEqual(s.metric('nimbus_events_total{trigger="http",status="200"}'), 10_000)
            self.assertEqual(s.metric('nimbus_queue_depth{trigger="http"}'), 0)
            self.assertEqual(s.stop(), 0)


class FailureTest(unittest.TestCase):
    """Crashes, timeouts, shutdown and bad HTTP."""

    def test_a_crash_is_a_500_and_the_worker_is_replaced(self):
        with Server(CRASHES, "--workers", "2") as s:
            status, _, body = s.request("GET", "/segv")
            self.assertEqual(status, 500)
            self.assertRegex(body.decode(), r"worker \d killed by signal 11 \(Segmentation fault\) while handling "
                                            r"this event; it was restarted")
            status, _, body = s.request("GET", "/abort")
            self.assertEqual(status, 500)
            self.assertIn("killed by signal 6 (Aborted)", body.decode())
            for i in range(10):  # the processor keeps serving
                self.assertEqual(s.request("GET", f"/fine{i}")[2], f"ok /fine{i}".encode())
            self.assertEqual(s.metric('nimbus_worker_restarts_total{trigger="http"}'), 2)
            self.assertEqual(s.metric('nimbus_events_total{trigger="http",status="500"}'), 2)
            self.assertEqual(s.stop(), 0)

    def test_a_crash_does_not_disturb_events_on_other_workers(self):
        with Server(CRASHES, "--workers", "2") as s:
            with ThreadPoolExecutor(8) as pool:
                slow = [pool.submit(s.request, "GET", "/sleep?ms=300") for _ in range(4)]
                time.sleep(0.1)
                crash = pool.submit(s.request, "GET", "/segv")
                self.assertEqual(crash.result()[0], 500)
                self.assertEqual([f.result()[0] for f in slow], [200] * 4)
            self.assertEqual(s.stop(), 0)

    def test_a_hanging_handler_times_out_with_a_504(self):
        with Server(CRASHES, "--event-timeout", "500ms") as s:
            started = time.monotonic()
            status, _, body = s.request("GET", "/hang")
            self.assertEqual(status, 504)
            self.assertEqual(body.decode(), "event timed out after 500 ms; worker 0 was restarted")
            self.assertGreaterEqual(time.monotonic() - started, 0.5)
            self.assertEqual(s.request("GET", "/after")[2], b"ok /after")
            self.assertEqual(s.metric('nimbus_worker_restarts_total{trigger="http"}'), 1)
            self.assertEqual(s.stop(), 0)

    def test_sigterm_finishes_the_requests_in_flight(self):
        with Server(CRASHES, "--workers", "2") as s:
            with ThreadPoolExecutor(16) as pool:
                inflight = [pool.submit(s.request, "GET", f"/sleep?ms=400&n={i}") for i in range(16)]
                deadline = time.monotonic() + 5
                while s.metric('nimbus_queue_depth{trigger="http"}') < 16 and time.monotonic() < deadline:
                    time.sleep(0.01)
                self.assertEqual(s.metric('nimbus_queue_depth{trigger="http"}'), 16)
                s.proc.send_signal(signal.SIGTERM)
                results = [f.result() for f in inflight]
            self.assertEqual([r[0] for r in results], [200] * 16, "no request in flight is lost")
            self.assertEqual(sorted(r[2] for r in results), [b"ok /sleep"] * 16)
            self.assertEqual(s.proc.wait(30), 0)
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", s.port), timeout=5)

    def test_malformed_requests_get_400_and_never_a_crash(self):
        corpus = [
            b"this is not http\r\n\r\n",
            b"GET\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost x\r\n\r\n",                                    # header without a colon
            b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n",                                  # space in a header name
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",           # non-numeric length
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",            # negative length
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",                               # NUL in the method
            b"GET / HTTP/1.1\r\nHost: x\r\nX: \x01\x02\r\n\r\n" + b"\r\n" * 3,
            b"\r\n\r\n\r\n",
            b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 600_000 + b"\r\n\r\n",  # an endless header
            bytes(range(256)) * 4,
        ]
        with Server(CRASHES) as s:
            for bad in corpus:
                with self.subTest(request=bad[:40]):
                    reply = raw_exchange(s.port, bad)
                    if reply:  # a server may also just close: what it must not do is answer 2xx or crash
                        status = int(reply.split(b" ", 2)[1])
                        self.assertEqual(status // 100, 4, reply[:200])
                    self.assertIsNone(s.proc.poll(), "the processor is still running")
            statuses = [int(raw_exchange(s.port, bad).split(b" ", 2)[1]) for bad in corpus[:8]]
            self.assertEqual(statuses, [400] * 8)
            self.assertEqual(s.request("GET", "/still-fine")[2], b"ok /still-fine")
            self.assertEqual(s.stop(), 0)

    def test_a_body_over_the_limit_gets_413(self):
        with Server(CRASHES, "--max-body-size", "1000") as s:
            status, _, _ = s.request("POST", "/upload", body=b"x" * 1001)
            self.assertEqual(status, 413)
            status, _, body = s.request("POST", "/upload", body=b"x" * 1000)
            self.assertEqual((status, body), (200, b"ok /upload"))
            self.assertEqual(s.stop(), 0)


class ProtocolTest(unittest.TestCase):
    def test_expect_100_continue_http_1_0_and_head(self):
        with Server(CRASHES) as s:
            with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
                c.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
                self.assertEqual(c.recv(100), b"HTTP/1.1 100 Continue\r\n\r\n")
                c.sendall(b"hello")
                self.assertTrue(c.recv(1000).startswith(b"HTTP/1.1 200 OK\r\n"))
            # HTTP/1.0 without keep-alive: one answer, then the server closes.
            reply = raw_exchange(s.port, b"GET /old HTTP/1.0\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK\r\n"))
            self.assertIn(b"Connection: close\r\n", reply)
            self.assertTrue(reply.endswith(b"\r\n\r\nok /old"))
            # HEAD: the same headers, no body.
            reply = raw_exchange(s.port, b"HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertIn(b"Content-Length: 5\r\n", reply)
            self.assertTrue(reply.endswith(b"\r\n\r\n"))
            self.assertEqual(s.stop(), 0)


class BadConfigTest(unittest.TestCase):
    def serve_fails(self, *args):
        r = subprocess.run([NIMBUS, "serve", *map(str, args)], capture_output=True, text=True, timeout=120, cwd=SOURCE)
        self.assertEqual(r.returncode, 2, r.stderr)
        return [l for l in r.stderr.splitlines() if not l.startswith("nimbus: building ")]

    def test_bad_flags_are_named(self):
        self.assertEqual(self.serve_fails(CRASHES, "--port", "99999"),
                         ["nimbus: serve: --port: expected a whole number from 0 to 65535, got '99999'"])
        self.assertEqual(self.serve_fails(CRASHES, "--worker-mode", "fiber"),
                         ["nimbus: serve: --worker-mode: expected process or thread, got 'fiber'"])
        self.assertEqual(self.serve_fails(CRASHES, "--workers", "0"),
                         ["nimbus: serve: --workers: expected a whole number from 1 to 1024, got '0'"])

    def test_a_port_in_use(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            lines = self.serve_fails(CRASHES, "--host", "127.0.0.1", "--port", port)
            self.assertEqual(lines, [f"nimbus: HTTP trigger 'http': cannot listen on 127.0.0.1:{port}: "
                                     "Address already in use"])

    def test_init_failure_refuses_to_start(self):
        lines = self.serve_fails(FIXTURES / "init_fails.so", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0")
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines, ["nimbus: trigger 'http': worker 0: init hook of 'handler' failed: model file missing"])


WHICH = """\
#include <nimbus/nimbus.hpp>
nimbus::Json which(nimbus::Context& ctx, const nimbus::Event& event) {
  ctx.logger().info_with("handled", {{"path", event.path()}});
  return {{"trigger", std::string(event.trigger_name())}, {"kind", std::string(event.trigger_kind())},
          {"worker", ctx.worker_id()}, {"path", std::string(event.path())}};
}
NIMBUS_FUNCTION(which)
"""


class TriggersTest(unittest.TestCase):
    """A function's several triggers, each with its own workers, served by one processor."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.fn = Path(cls.dir.name)
        (cls.fn / "which.cpp").write_text(WHICH)
        (cls.fn / "events.ndjson").write_text("".join(f'{{"path": "/file/{i}"}}\n' for i in range(20)) + "{bad\n")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    @contextlib.contextmanager
    def serve(self, yaml):
        """`nimbus serve` of a function.yaml with these triggers (no --port: each trigger says its own)."""
        (self.fn / "function.yaml").write_text("metadata: {name: which}\nspec:\n  handler: which:which\n"
                                               "  build: {sources: [which.cpp]}\n  triggers:\n" + yaml)
        with self.started("serve", "--host", "127.0.0.1", "--admin-port", "0") as proc:
            yield proc

    def started(self, command, *args):
        """`nimbus <command>` of the function.yaml, killed if still running at the end."""
        return started_process([NIMBUS, command, self.fn / "function.yaml", *args], self.fn)

    def test_two_http_triggers_each_with_its_own_workers(self):
        with self.serve("    public: {kind: http, numWorkers: 2, attributes: {port: 0}}\n"
                        "    internal: {kind: http, numWorkers: 1, attributes: {port: 0, workerMode: thread}}\n") as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            by_name = {t["name"]: t for t in info["triggers"]}
            self.assertEqual(sorted(by_name), ["internal", "public"])
            self.assertEqual((by_name["public"]["workers"], by_name["public"]["workerMode"]), (2, "process"))
            self.assertEqual((by_name["internal"]["workers"], by_name["internal"]["workerMode"]), (1, "thread"))
            self.assertNotEqual(by_name["public"]["port"], by_name["internal"]["port"])
            for name in ("public", "internal"):
                for i in range(5):
                    c = http.client.HTTPConnection("127.0.0.1", by_name[name]["port"], timeout=10)
                    c.request("GET", f"/{name}/{i}")
                    body = json.loads(c.getresponse().read())
                    c.close()
                    self.assertEqual((body["trigger"], body["kind"], body["path"]), (name, "http", f"/{name}/{i}"))
                    self.assertLess(body["worker"], by_name[name]["workers"])
            c = http.client.HTTPConnection("127.0.0.1", info["adminPort"], timeout=10)
            c.request("GET", "/metrics")
            metrics = c.getresponse().read().decode()
            c.close()
            for line in ('nimbus_events_total{trigger="public",status="200"} 5',
                         'nimbus_events_total{trigger="internal",status="200"} 5',
                         'nimbus_workers{trigger="public"} 2', 'nimbus_workers{trigger="internal"} 1'):
                self.assertIn(line + "\n", metrics)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)

    def test_a_file_trigger_beside_an_http_one_and_alone(self):
        with self.serve("    replayed: {kind: file, numWorkers: 2, attributes: {paths: [events.ndjson]}}\n"
                        "    web: {kind: http, attributes: {port: 0}}\n") as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            self.assertEqual(info["triggers"][0]["paths"], ["events.ndjson"])
            c = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=10)
            c.request("GET", "/web")
            self.assertEqual(json.loads(c.getresponse().read())["trigger"], "web")  # still serving
            c.close()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the file's events go through the workers meanwhile
                c = http.client.HTTPConnection("127.0.0.1", info["adminPort"], timeout=10)
                c.request("GET", "/metrics")
                done = 'nimbus_events_total{trigger="replayed",status="200"} 20\n' in c.getresponse().read().decode()
                c.close()
                if done:
                    break
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            logs = [json.loads(l) for l in proc.stderr.read().splitlines() if l.startswith("{")]
            handled = [l["fields"]["path"] for l in logs if l["message"] == "handled"]
            self.assertEqual(sorted(p for p in handled if p.startswith("/file/")), sorted(f"/file/{i}" for i in range(20)))
            unreadable = [l for l in logs if l.get("logger") == "nimbus.triggers.replayed"]
            self.assertEqual(len(unreadable), 1, logs)
            self.assertIn("events.ndjson:21", unreadable[0]["message"])
        # Alone, a finite source: serve stops by itself once every event is answered.
        with self.serve("    replayed: {kind: file, attributes: {paths: [events.ndjson]}}\n") as proc:
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(json.loads(out.splitlines()[0])["triggers"][0]["kind"], "file")
            self.assertEqual(sum('"message":"handled"' in l for l in err.splitlines()), 20)

    def test_cron_fires_on_its_schedule_and_its_interval(self):
        with self.serve("    every: {kind: cron, attributes: {interval: 250ms, event: {path: /every, body: hi}}}\n"
                        "    second: {kind: cron, attributes: {schedule: '* * * * * *', event: {path: /second}}}\n"
                        "    web: {kind: http, attributes: {port: 0}}\n") as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            by_name = {t["name"]: t for t in info["triggers"]}
            self.assertEqual((by_name["every"]["kind"], by_name["second"]["kind"]), ("cron", "cron"))
            self.assertIn("nextTick", by_name["second"])
            started = time.monotonic()
            time.sleep(2.6)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            elapsed = time.monotonic() - started
            logs = [json.loads(l) for l in proc.stderr.read().splitlines() if l.startswith("{")]
            handled = [l["fields"]["path"] for l in logs if l["message"] == "handled"]
            every, second = handled.count("/every"), handled.count("/second")
            # 250 ms apart for ~2.6 s: about 10 ticks; once a second on the second: 2 or 3. Loose bounds
            # on a shared machine: the count shows it ticks on its own, repeatedly, and not too often.
            self.assertGreaterEqual(every, 5, handled)
            self.assertLessEqual(every, int(elapsed / 0.25) + 2, handled)
            self.assertGreaterEqual(second, 2, handled)
            self.assertLessEqual(second, int(elapsed) + 2, handled)

    def test_run_without_events_runs_the_functions_own_triggers_until_ctrl_c(self):
        """`nimbus run` without --event: the function's own triggers, in the emulator's one process."""
        with self.serve("    web: {kind: http, attributes: {port: 8080}}\n"
                        "    tick: {kind: cron, attributes: {interval: 300ms, event: {path: /tick}}}\n") as built:
            built.kill()  # only the function.yaml and its build were wanted
        with self.started("run", "--json", "--port", "0") as proc:
            ready = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(ready, proc.stderr.read() if proc.poll() is not None else "no ready line")
            self.assertEqual(ready["type"], "ready")
            by_name = {t["name"]: t for t in ready["triggers"]}
            self.assertEqual((by_name["web"]["kind"], by_name["web"]["host"]), ("http", "127.0.0.1"))
            self.assertEqual(by_name["tick"]["kind"], "cron")
            c = http.client.HTTPConnection("127.0.0.1", by_name["web"]["port"], timeout=10)
            c.request("GET", "/hello")
            self.assertEqual(json.loads(c.getresponse().read())["path"], "/hello")
            c.close()
            seen = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not ({"/hello", "/tick"} <= set(seen)):
                line = json.loads(proc.stdout.readline())
                if line["type"] == "response":
                    seen.append(json.loads(line["body"])["path"])
            self.assertIn("/hello", seen)
            self.assertIn("/tick", seen)
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(30), 0, proc.stderr.read())
        # --trigger picks some; a name it does not have is an error naming those it has.
        with self.started("run", "--json", "--trigger", "tick") as proc:
            ready = json.loads(proc.stdout.readline() or "null")
            self.assertEqual([t["name"] for t in ready["triggers"]], ["tick"])
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(30), 0)
        r = subprocess.run([NIMBUS, "run", self.fn / "function.yaml", "--trigger", "nope"], capture_output=True,
                           text=True, cwd=self.fn, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("run: --trigger nope: the function has no trigger 'nope' (its triggers: web, tick)", r.stderr)

    def test_a_bad_cron_trigger_refuses_to_start_naming_it(self):
        with self.serve("    tick: {kind: cron, attributes: {schedule: '61 * * * * *'}}\n") as proc:
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 2, err)  # a configuration error, as every other
            self.assertIn("spec.triggers.tick.attributes.schedule: schedule '61 * * * * *': second field '61': "
                          "61 is outside 0-59", err)


def nimbus(*args, cwd=None):
    return subprocess.run([NIMBUS, *map(str, args)], capture_output=True, text=True, cwd=cwd or SOURCE, timeout=300)


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


class InvokeTest(unittest.TestCase):
    """`nimbus invoke`: event files sent to a running function, shown as `nimbus run` shows them."""

    EVENTS = SOURCE / "examples" / "hello" / "events"

    def test_invoke_shows_what_run_shows(self):
        # One worker: the hello function remembers whom it greeted, per worker, as the emulator does.
        ran = nimbus("run", HELLO, "--event", self.EVENTS, "--json")
        self.assertEqual(ran.returncode, 0, ran.stderr)
        with Server(HELLO, "--workers", "1") as s:
            url = f"http://127.0.0.1:{s.port}"
            invoked = nimbus("invoke", url, "--event", self.EVENTS, "--json")
            self.assertEqual(invoked.returncode, 0, invoked.stderr)

            def shape(lines):
                return [(l["type"], l["event"], l.get("message"), l.get("fields"), l.get("status"), l.get("body"))
                        for l in lines]
            self.assertEqual(shape(json_lines(invoked.stdout)), shape(json_lines(ran.stdout)))
            self.assertNotIn("X-Nimbus-Logs", invoked.stdout)  # the logs it carried are shown as logs

            text = nimbus("invoke", url + "/", "--event", self.EVENTS / "02-header.json", "--log-level", "info")
            self.assertEqual(text.returncode, 0, text.stderr)
            self.assertIn("── 02-header  GET /", text.stdout)
            self.assertRegex(text.stdout, r"info +greeting  name=Ada  again=true")
            self.assertNotIn("was greeted before", text.stdout)  # a debug record, below --log-level
            self.assertIn('{"greeting":"hello, Ada","again":true}', text.stdout)
            self.assertIn("1 event: 1 ok, 0 failed", text.stderr)

    def test_a_failed_event_and_a_server_that_is_down(self):
        bad = Path(tempfile.mkdtemp()) / "bad.json"
        try:
            bad.write_text(json.dumps({"method": "POST", "path": "/", "contentType": "application/json",
                                       "body": "{oops"}))
            with Server(HELLO) as s:
                r = nimbus("invoke", f"http://127.0.0.1:{s.port}", "--event", bad, "--event",
                           self.EVENTS / "01-world.json")
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertRegex(r.stdout, r"   500")
                self.assertIn("2 events: 1 ok, 1 failed", r.stderr)
                port = s.port
            r = nimbus("invoke", f"http://127.0.0.1:{port}", "--event", self.EVENTS / "01-world.json")
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"error: http://127.0.0.1:{port}/: ", r.stderr)
        finally:
            shutil.rmtree(bad.parent)

    def test_bad_arguments_are_named(self):
        for args, said in ((["http://x"], "name event files with --event"),
                           (["ftp://x", "--event", "e.json"], "'ftp://x' is not an http:// or https:// URL"),
                           (["http://x", "--event", self.EVENTS, "--cloudevent", "xml"],
                            "--cloudevent xml: expected binary or structured"),
                           (["http://x", "--event", self.EVENTS, "--log-level", "loud"], "--log-level loud"),
                           (["http://x", "--event", "no-such.json"], "no-such.json")):
            r = nimbus("invoke", *args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn(said, r.stderr)

    def test_events_sent_as_cloud_events(self):
        tmp = Path(tempfile.mkdtemp())
        try:
            fn = tmp / "awkward"
            shutil.copytree(SOURCE / "tests" / "fixtures" / "awkward", fn, ignore=shutil.ignore_patterns(".nimbus"))
            made = nimbus("events", "new", "cloudevent", "-o", tmp / "ce.json")
            self.assertEqual(made.returncode, 0, made.stderr)
            plain = tmp / "plain.json"
            plain.write_text(json.dumps({"id": "p-1", "method": "POST", "path": "/", "body": "hi"}))
            with Server(fn / "function.yaml") as s:
                url = f"http://127.0.0.1:{s.port}"
                for mode in ("binary", "structured"):
                    r = nimbus("invoke", url, "--event", tmp / "ce.json", "--event", plain, "--cloudevent", mode,
                               "--json")
                    self.assertEqual(r.returncode, 0, r.stderr)
                    bodies = [json.loads(l["body"]) for l in json_lines(r.stdout) if l["type"] == "response"]
                    self.assertEqual(bodies[0]["cloudEvent"], {
                        "id": "ce-1", "type": "com.example.order.created", "source": "/shop", "subject": "17",
                        "time": "2026-12-01T10:00:00Z", "datacontenttype": "application/json",
                        "dataschema": "https://example.com/schemas/order.json",
                        "extensions": {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}},
                        mode)
                    self.assertEqual((bodies[1]["cloudEvent"]["id"], bodies[1]["cloudEvent"]["source"],
                                      bodies[1]["cloudEvent"]["type"]), ("p-1", "nimbus-invoke", "dev.nimbus.event"))
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
