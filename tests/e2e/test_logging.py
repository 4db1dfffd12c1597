"""Logging under the real `nimbus serve`: the level changed on the fly on a running engine
through the admin port (every worker, from loopback or with the admin token), every record
naming its function, version, worker, trigger, event and trace, sinks from function.yaml
and the command line (console as JSON or text, a file rotated by size), and bad logging
configuration refused naming what is wrong.

Run by ctest (which sets NIMBUS and NIMBUS_SOURCE_DIR), or by hand:
NIMBUS=build/cli/nimbus NIMBUS_SOURCE_DIR=. NIMBUS_FIXTURES=build/tests/fixtures python3 -m unittest -v test_logging
"""

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from brokers import Nats, Redis, free_port
from test_serve import Server

NIMBUS = os.environ["NIMBUS"]
SOURCE = Path(os.environ["NIMBUS_SOURCE_DIR"])
FUNCTIONS = SOURCE / "tests" / "python" / "functions"
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def records(lines):
    """The function's JSON log records among a server's error lines."""
    out = []
    for line in lines:
        if line.startswith("{"):
            record = json.loads(line)
            if "worker" in record:
                out.append(record)
    return out


def outside_address():
    """An address of this machine that is not loopback (a connection from it is not from
    loopback to the server), or None."""
    for target in ("10.255.255.255", "192.0.2.1", "8.8.8.8"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.connect((target, 9))  # no packet is sent: this only picks the route and its address
            except OSError:
                continue
            address = s.getsockname()[0]
            if not address.startswith("127."):
                return address
    return None


class Collector:
    """A local HTTP endpoint that keeps the log records POSTed to it; `gate` cleared, it holds
    every request until set (a slow endpoint)."""

    def __init__(self):
        self.records, self.posts, self.held = [], 0, 0
        self.gate = threading.Event()
        self.gate.set()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not collector.gate.is_set():
                    collector.held += 1
                    collector.gate.wait()
                collector.records += json.loads(body)
                collector.posts += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, what, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.05)


def dropped(server):
    status, text = server.admin("/metrics")
    found = re.search(r'^nimbus_log_records_dropped_total\{sink="http",index="0"\} (\d+)$', text, re.M)
    return int(found.group(1))


class LoggingTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        shutil.copy(FUNCTIONS / "logging_user.py", self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, logger=""):
        path = self.dir / "function.yaml"
        path.write_text("metadata: {name: logs, version: '3'}\nspec:\n  runtime: python\n"
                        "  handler: logging_user:handler\n" + logger)
        return path

    def slow_pair(self, server, headers=None):
        """Two requests at once, so that each worker takes one; the workers that answered."""
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: server.request("GET", "/slow", None, headers), range(2)))
        self.assertEqual([a[0] for a in answers], [200, 200])
        return {json.loads(a[2])["worker"] for a in answers}

    def test_the_level_changes_on_the_fly_in_every_worker_and_every_record_says_whose_it_is(self):
        s = Server(self.config("  logger: {level: info}\n"), "--workers", "2")
        try:
            self.assertEqual(s.admin("/loglevel"), (200, '{"level":"info"}'))
            self.assertEqual(self.slow_pair(s), {0, 1})
            status, body = s.admin("/loglevel", "PUT", "debug")
            self.assertEqual((status, json.loads(body)), (200, {"level": "debug"}))
            self.assertEqual(s.admin("/loglevel"), (200, '{"level":"debug"}'))
            self.assertEqual(self.slow_pair(s, {"traceparent": TRACE}), {0, 1})
            status, body = s.admin("/loglevel", "PUT", '{"level": "warn"}')
            self.assertEqual((status, json.loads(body)), (200, {"level": "warn"}))
            self.assertEqual(self.slow_pair(s), {0, 1})
            # Bad requests change nothing.
            self.assertEqual(s.admin("/loglevel", "PUT", "loud"),
                             (400, 'unknown log level "loud"; expected debug, info, warn or error\n'))
            self.assertEqual(s.admin("/loglevel", "PUT", '{"lvl": 1}')[0], 400)
            self.assertEqual(s.admin("/loglevel", "POST", "debug")[0], 405)
            self.assertEqual(s.admin("/loglevel"), (200, '{"level":"warn"}'))
        finally:
            self.assertEqual(s.stop(), 0)
        # The records between the level changes: info from both workers, then debug and info
        # from both, then none at warn.
        phases = [[]]
        for line in s.stderr_lines:
            if '"nimbus.admin"' in line:
                phases.append([])
            else:
                phases[-1] += records([line])
        self.assertEqual([sorted((r["message"], r["worker"]) for r in phase) for phase in phases],
                         [[("info", 0), ("info", 1)],
                          [("debug", 0), ("debug", 1), ("info", 0), ("info", 1)],
                          []])
        logged = records(s.stderr_lines)
        for r in logged:
            self.assertEqual(r["worker"], r["fields"]["worker"])
            self.assertEqual((r["function"], r["version"], r["trigger"], r["triggerKind"]),
                             ("logs", "3", "http", "http"))
            self.assertTrue(r["event"])
        traced = [r for r in logged if "traceId" in r]
        self.assertEqual(len(traced), 4, "the second pair brought a traceparent")
        self.assertEqual({r["traceId"] for r in traced}, {TRACE[3:35]})
        self.assertEqual({r["message"] for r in traced}, {"debug", "info"})
        self.assertEqual(len({r["event"] for r in logged}), 4, "each request its own event id")
        changes = [json.loads(l) for l in s.stderr_lines if '"nimbus.admin"' in l]
        self.assertEqual([c["message"] for c in changes], ["log level set to debug", "log level set to warn"])

    def test_changing_the_level_from_elsewhere_needs_the_token(self):
        address = outside_address()
        if address is None:
            self.skipTest("this machine has no address but loopback")
        token = "s3cret-admin-token"
        s = Server(self.config(), "--workers", "1", host="0.0.0.0", env={"NIMBUS_ADMIN_TOKEN": token})
        try:
            self.assertEqual(s.admin("/loglevel", address=address), (200, '{"level":"info"}'))
            refused = s.admin("/loglevel", "PUT", "debug", address=address)
            self.assertEqual(refused, (403, "PUT /loglevel from elsewhere than loopback needs "
                                            "Authorization: Bearer <token>\n"))
            self.assertEqual(s.admin("/loglevel", "PUT", "debug", {"Authorization": "Bearer s3cret"},
                                     address=address)[0], 403)
            self.assertEqual(s.admin("/loglevel", "PUT", "debug", {"Authorization": f"Bearer {token}x"},
                                     address=address)[0], 403)
            self.assertEqual(s.admin("/loglevel", "PUT", "debug", {"Authorization": f"Bearer {token}"},
                                     address=address), (200, '{"level":"debug"}'))
            self.assertEqual(s.admin("/loglevel", "PUT", "error"), (200, '{"level":"error"}'), "loopback needs none")
        finally:
            self.assertEqual(s.stop(), 0)
        self.assertNotIn(token, "\n".join(s.stderr_lines))
        s = Server(self.config(), "--workers", "1", host="0.0.0.0")  # no token: only loopback may
        try:
            self.assertEqual(s.admin("/loglevel", "PUT", "debug", {"Authorization": "Bearer anything"},
                                     address=address),
                             (403, "PUT /loglevel is taken from loopback only (set NIMBUS_ADMIN_TOKEN to "
                                   "allow others)\n"))
            self.assertEqual(s.admin("/loglevel", "PUT", "debug")[0], 200)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_sinks_from_function_yaml_and_the_command_line(self):
        log = self.dir / "logs" / "f.log"
        config = self.config("  logger:\n    level: debug\n    sinks:\n"
                             "      - {kind: console, format: text}\n"
                             "      - {kind: file, path: logs/f.log, maxBytes: 4096, maxFiles: 50}\n")
        s = Server(config, "--workers", "1")
        try:
            for _ in range(40):
                self.assertEqual(s.request("GET", "/", None, {"traceparent": TRACE})[0], 200)
        finally:
            self.assertEqual(s.stop(), 0)
        text = [l for l in s.stderr_lines if " DEBUG " in l or " INFO " in l]
        self.assertEqual(len(text), 80)
        self.assertRegex(text[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z DEBUG debug  worker=0  "
                                  r"\(logs@3 worker 0 http event \S+ trace " + TRACE[3:35] + r"\)$")
        files = sorted(self.dir.glob("logs/f.log*"))
        self.assertGreater(len(files), 3, "the file was rotated")
        lines = []
        for f in [log.with_name(f"f.log.{n}") for n in range(len(files) - 1, 0, -1)] + [log]:
            self.assertLessEqual(f.stat().st_size, 4096, f)
            lines += f.read_text().splitlines()
        logged = [json.loads(l) for l in lines]
        self.assertEqual([r["message"] for r in logged if "worker" in r], ["debug", "info"] * 40,
                         "every record, in order, across the rotated files")

        # --log-sink replaces the configured sinks; maxFiles bounds what is kept.
        shutil.rmtree(self.dir / "logs")
        other = self.dir / "other.log"
        s = Server(config, "--workers", "1", "--log-sink", f"file:path={other},maxBytes=2048,maxFiles=1")
        try:
            for _ in range(40):
                s.request("GET", "/")
        finally:
            self.assertEqual(s.stop(), 0)
        self.assertFalse((self.dir / "logs").exists())
        self.assertEqual(sorted(p.name for p in self.dir.glob("other.log*")), ["other.log", "other.log.1"])
        self.assertFalse([l for l in s.stderr_lines if " DEBUG " in l])

    def test_nimbus_run_writes_to_the_configured_sinks_too_besides_its_own_output(self):
        config = self.config("  logger:\n    sinks:\n"
                             "      - {kind: console, format: text}\n"  # the emulator's output is the console
                             "      - {kind: file, path: logs/f.log}\n")
        events = "".join(json.dumps({"id": f"e{i}", "path": "/", "headers": {"traceparent": TRACE}}) + "\n"
                         for i in range(3))
        r = subprocess.run([NIMBUS, "run", config, "--event", "-", "--json"], input=events,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        shown = [json.loads(l) for l in r.stdout.splitlines() if json.loads(l)["type"] == "log"]
        self.assertEqual([x["message"] for x in shown], ["debug", "info"] * 3, "its own output is unchanged")
        self.assertNotIn(" DEBUG ", r.stderr, "the configured console sink is its own output, not a second one")
        logged = [json.loads(l) for l in (self.dir / "logs" / "f.log").read_text().splitlines()]
        self.assertEqual([(x["message"], x["event"]) for x in logged],
                         [(m, f"e{i}") for i in range(3) for m in ("debug", "info")])
        first = logged[0]
        self.assertEqual((first["function"], first["version"], first["worker"], first["traceId"], first["level"]),
                         ("logs", "3", 0, TRACE[3:35], "debug"))
        self.assertEqual(first["fields"], {"worker": 0})
        # --log-sink replaces them, as for nimbus serve.
        other = self.dir / "other.log"
        r = subprocess.run([NIMBUS, "run", config, "--event", "-", "--log-sink", f"file:path={other},format=text"],
                           input=events, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(other.read_text().splitlines()), 6)
        self.assertEqual(len((self.dir / "logs" / "f.log").read_text().splitlines()), 6, "not written again")
        r = subprocess.run([NIMBUS, "run", config, "--event", "-", "--log-sink", "file"], input=events,
                           capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("run: ", r.stderr)

    def test_the_http_sink_batches_and_drops_and_counts_when_its_endpoint_is_slow_or_down(self):
        collector = Collector()
        config = self.config("  logger:\n    sinks:\n      - {kind: http, url: 'http://127.0.0.1:%d/logs', "
                             "batchSize: 10, flushInterval: 100ms, maxQueue: 40, timeout: 10s}\n" % collector.port)
        s = Server(config, "--workers", "1")
        try:
            for _ in range(25):
                self.assertEqual(s.request("GET", "/", None, {"traceparent": TRACE})[0], 200)
            wait_for(lambda: len(collector.records) == 25, "the 25 records")
            self.assertEqual({r["message"] for r in collector.records}, {"info"})
            self.assertEqual({(r["function"], r["traceId"]) for r in collector.records}, {("logs", TRACE[3:35])})
            self.assertGreaterEqual(collector.posts, 3, "sent in batches of at most 10")
            self.assertEqual(dropped(s), 0)

            # A slow endpoint: it holds the sink's POST; the handlers never wait for it.
            collector.gate.clear()
            self.assertEqual(s.request("GET", "/")[0], 200)
            wait_for(lambda: collector.held == 1, "the sink's POST to reach the held endpoint")
            for _ in range(100):
                self.assertEqual(s.request("GET", "/")[0], 200)
            self.assertFalse(collector.gate.is_set())
            self.assertEqual(collector.held, 1, "every request answered while the endpoint held the sink")
            wait_for(lambda: dropped(s) >= 101 - 40, "the records past the queue to be counted")
            collector.gate.set()

            # Down: every record is dropped and counted; the requests are answered as ever.
            collector.stop()
            before = dropped(s)
            settled = len(collector.records)
            for _ in range(30):
                self.assertEqual(s.request("GET", "/")[0], 200)
            wait_for(lambda: dropped(s) >= before + 30, "the 30 records sent to nowhere to be counted")
            self.assertEqual(len(collector.records), settled)
        finally:
            collector.stop()
            self.assertEqual(s.stop(), 0)
        self.assertFalse([l for l in s.stderr_lines if l.startswith("{")], "the http sink replaced the console")

    def test_stream_sinks_publish_every_record_to_a_redis_stream_and_a_nats_subject(self):
        redis, nats = Redis(), Nats()
        try:
            nats.subscribe("logs.fn")
            config = self.config(
                "  logger:\n    sinks:\n"
                "      - {kind: redis, url: 'redis://127.0.0.1:%d', stream: logs, flushInterval: 50ms}\n"
                "      - {kind: nats, url: 'nats://127.0.0.1:%d', subject: logs.fn, flushInterval: 50ms}\n"
                % (redis.port, nats.port))
            s = Server(config, "--workers", "1")
            try:
                for _ in range(5):
                    self.assertEqual(s.request("GET", "/", None, {"traceparent": TRACE})[0], 200)
                wait_for(lambda: redis.cli("XLEN", "logs") == "5", "5 entries in the stream")
                messages = [nats.next_message() for _ in range(5)]
            finally:
                self.assertEqual(s.stop(), 0)
            entries = redis.cli("--json", "XRANGE", "logs", "-", "+")
            bodies = [json.loads(fields[1]) for _, fields in json.loads(entries)]
            self.assertEqual([b["message"] for b in bodies], ["info"] * 5)
            self.assertEqual({(b["function"], b["traceId"], b["worker"]) for b in bodies}, {("logs", TRACE[3:35], 0)})
            self.assertEqual({m[0] for m in messages}, {"logs.fn"})
            self.assertEqual([json.loads(m[2]) for m in messages], bodies, "the same records on both")
        finally:
            redis.stop()
            nats.stop()
        # A service that refuses at the start stops it, naming the sink.
        r = subprocess.run([NIMBUS, "serve", self.config(
            "  logger:\n    sinks: [{kind: redis, url: 'redis://127.0.0.1:%d', stream: logs}]\n" % free_port()),
            "--port", "0", "--admin-port", "0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("spec.logger.sinks[0]", r.stderr)
        self.assertIn("Connection refused", r.stderr)

    def test_bad_logging_configuration_is_refused_naming_it(self):
        def fails(config, *args):
            r = subprocess.run([NIMBUS, "serve", config, "--port", "0", "--admin-port", "0", *args],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, r.stderr)
            return r.stderr.strip().splitlines()[-1]
        self.assertEqual(fails(self.config("  logger: {level: loud}\n")),
                         "nimbus: function.yaml:5: spec.logger.level: expected debug, info, warn or error, got 'loud'"
                         .replace("function.yaml", str(self.dir / "function.yaml")))
        self.assertIn("spec.logger.sinks[0]: unknown log sink kind 'syslog' (known: console, file, http, nats, redis)",
                      fails(self.config("  logger:\n    sinks: [{kind: syslog}]\n")))
        self.assertIn("spec.logger.sinks[0].path: a file sink needs the file to write",
                      fails(self.config("  logger:\n    sinks: [{kind: file}]\n")))
        self.assertIn("spec.logger.sinks[0].format: expected json or text, got 'xml'",
                      fails(self.config("  logger:\n    sinks: [{kind: console, format: xml}]\n")))
        self.assertIn("spec.logger.sinks[0].url: expected an http:// or https:// URL",
                      fails(self.config("  logger:\n    sinks: [{kind: http, url: 'ftp://x'}]\n")))
        self.assertIn("spec.logger.sinks[0].flushInterval: 'soon' is not a duration (e.g. 500ms, 30s, 1m30s)",
                      fails(self.config("  logger:\n    sinks: [{kind: http, url: 'http://x', flushInterval: soon}]\n")))
        self.assertEqual(fails(self.config(), "--log-sink", "file:maxBytes"),
                         "nimbus: serve: --log-sink file:maxBytes: 'maxBytes' is not name=value")
        self.assertIn("--log-sink file:path=/proc/nope/f.log: /proc/nope/f.log: cannot open for appending",
                      fails(self.config(), "--log-sink", "file:path=/proc/nope/f.log"))


if __name__ == "__main__":
    unittest.main()
