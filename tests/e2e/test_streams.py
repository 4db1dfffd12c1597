"""Stream triggers against real brokers on loopback: a Redis server from Debian,
started here on a free port and stopped by its process id. Each test feeds a
real stream into `nimbus serve` or `nimbus run` and checks what the handler saw
and what the broker was told (acknowledged or pending).

Run by ctest (which sets NIMBUS and NIMBUS_SOURCE_DIR), or by hand:
NIMBUS=build/cli/nimbus NIMBUS_SOURCE_DIR=. python3 -m unittest -v test_streams
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from brokers import Mosquitto, Nats, Redis, free_port
from test_serve import started_process

NIMBUS = os.environ["NIMBUS"]

# Logs every attribute of each event it handles; sleeps on X-Sleep (ms), crashes on X-Crash, and on
# X-Crash-Once: PATH when PATH does not exist yet (it makes it); acknowledges explicitly on X-Ack.
STREAM_ECHO = """\
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <nimbus/nimbus.hpp>
nimbus::Json echo(nimbus::Context& ctx, const nimbus::Event& event) {
  if (auto ms = event.header("X-Sleep")) std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(std::string(*ms))));
  if (event.header("X-Crash")) std::abort();
  if (event.header("X-Ack")) {  // explicitAckMode: acknowledge this message and those before it
    if (auto acked = ctx.platform().explicit_ack(nimbus::QualifiedOffset::from_event(event)); !acked)
      ctx.logger().error_with("explicit_ack failed", {{"error", acked.error().message}});
  }
  if (auto once = event.header("X-Crash-Once"); once && !std::ifstream(std::string(*once))) {
    std::ofstream(std::string(*once)) << "crashed";
    std::abort();
  }
  nimbus::Json headers = nimbus::Json::object();
  for (auto [k, v] : event.headers()) headers[std::string(k)] = std::string(v);
  ctx.logger().info_with("handled", {{"id", std::string(event.id())}, {"kind", std::string(event.trigger_kind())},
      {"trigger", std::string(event.trigger_name())}, {"body", std::string(event.body())},
      {"contentType", std::string(event.content_type())}, {"headers", headers}, {"topic", std::string(event.topic())},
      {"path", std::string(event.path())}, {"shard", event.shard_id()}, {"shards", event.num_shards()},
      {"offset", event.offset()}, {"last", event.last_in_batch()}, {"key", std::string(event.field("key").value_or(""))}, {"key", std::string(event.field("key").value_or(""))},
      {"timestampMs", std::chrono::duration_cast<std::chrono::milliseconds>(event.timestamp().time_since_epoch()).count()},
      {"worker", ctx.worker_id()}});
  return {{"id", std::string(event.id())}};
}
NIMBUS_FUNCTION(echo)
"""


class StreamFunction:
    """The echo function in a folder of its own, built once, with a function.yaml per test."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp())
        (self.dir / "echo.cpp").write_text(STREAM_ECHO)
        self.write("    web: {kind: http, attributes: {port: 0}}\n")
        r = subprocess.run([NIMBUS, "build", self.dir / "function.yaml"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr

    def write(self, triggers, name="function.yaml"):
        (self.dir / name).write_text("metadata: {name: echo}\nspec:\n  handler: echo:echo\n"
                                     "  build: {sources: [echo.cpp]}\n  triggers:\n" + triggers)
        return self.dir / name

    def started(self, *args, config="function.yaml", env=None):
        return started_process([NIMBUS, args[0], self.dir / config, *args[1:]], self.dir, env)


def handled(stderr_text):
    """The `handled` log records in a serve's stderr, by event id."""
    out = []
    for line in stderr_text.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("message") == "handled":
                out.append(record["fields"])
    return out


def wait_for(test, timeout=30, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test():
            return True
        time.sleep(every)
    return False


def metric(admin_port, name):
    c = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=10)
    try:
        c.request("GET", "/metrics")
        for line in c.getresponse().read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return 0.0
    finally:
        c.close()


def rss_bytes(pid):
    """A process's resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# For the memory tests: AddressSanitizer keeps freed memory in quarantine (256 MB), which would
# read as growth; without the sanitizers this changes nothing.
FLAT_MEMORY_ENV = {**os.environ, "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"}


def assert_memory_flat(test, proc, admin_port, total, trigger="orders"):
    """Under a backlog far larger than the rings and a slow handler, the engine's
    memory does not grow with the backlog: it takes only what its workers have room for."""
    handled_count = lambda: metric(admin_port, f'nimbus_events_total{{trigger="{trigger}",status="200"}}')
    test.assertTrue(wait_for(lambda: handled_count() >= 300, timeout=60))
    before = rss_bytes(proc.pid)
    test.assertTrue(wait_for(lambda: handled_count() >= 1300, timeout=120))
    after = rss_bytes(proc.pid)
    test.assertLess(handled_count(), total / 2)  # most of the flood still waits in the broker
    # A thousand events (25 MB) later: no more than the client's bounded prefetch moved in, while
    # the 100 MB backlog stays in the broker.
    test.assertLess(after - before, 32 << 20, (before, after))


def ready_status(admin_port):
    c = http.client.HTTPConnection("127.0.0.1", admin_port, timeout=10)
    try:
        c.request("GET", "/ready")
        return c.getresponse().status
    finally:
        c.close()


class RedisStreamTest(unittest.TestCase):
    """kind: redis-stream into `nimbus serve` and `nimbus run`, through a real Redis."""

    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.fn = StreamFunction()

    @classmethod
    def tearDownClass(cls):
        cls.redis.stop()
        shutil.rmtree(cls.fn.dir)

    def trigger(self, stream, url=None, **attributes):
        attributes = {"stream": stream, **attributes}
        return ("    orders: {kind: redis-stream, url: \"%s\", numWorkers: %d, attributes: %s}\n"
                % (url or f"redis://127.0.0.1:{self.redis.port}", attributes.pop("workers", 1), json.dumps(attributes)))

    def serve(self, config="function.yaml"):
        return self.fn.started("serve", "--host", "127.0.0.1", "--admin-port", "0", "--log-level", "info",
                               config=config)

    def test_every_field_of_an_entry_reaches_the_handler_and_it_is_acknowledged(self):
        self.fn.write(self.trigger("fields", consumerGroup="g"))
        ids = [self.redis.add("fields", f"order {i}", content_type="text/plain", X_Key=f"k{i}") for i in range(3)]
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            self.assertEqual(info["triggers"][0]["delivery"], "at-least-once")
            admin = info["adminPort"]
            self.assertTrue(wait_for(lambda: metric(admin, 'nimbus_events_total{trigger="orders",status="200"}') == 3))
            self.assertTrue(wait_for(lambda: self.redis.pending("fields", "g") == 0))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            seen = handled(proc.stderr.read())
        self.assertEqual([s["id"] for s in seen], ids)
        first = seen[0]
        self.assertEqual((first["kind"], first["trigger"], first["body"], first["contentType"]),
                         ("redis-stream", "orders", "order 0", "text/plain"))
        self.assertEqual(first["headers"], {"content-type": "text/plain", "X-Key": "k0"})
        self.assertEqual((first["topic"], first["path"], first["shard"], first["shards"]), ("fields", "fields", 0, 1))
        ms = int(ids[0].split("-")[0])
        self.assertEqual((first["offset"], first["timestampMs"]), (ms, ms))

    def test_at_least_once_survives_a_sigkill_and_a_restart(self):
        self.fn.write(self.trigger("kill", consumerGroup="g", consumerName="c1", maxInFlight=2))
        ids = [self.redis.add("kill", f"n{i}", X_Sleep="20") for i in range(40)]
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                    'nimbus_events_total{trigger="orders",status="200"}') >= 5))
            os.kill(proc.pid, signal.SIGKILL)  # mid-stream: entries taken and not acknowledged
            proc.wait()
            first = handled(proc.stderr.read())
        self.assertLess(len(first), 40)
        self.assertGreater(self.redis.pending("kill", "g"), 0)
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            answered = lambda: metric(info["adminPort"], 'nimbus_events_total{trigger="orders",status="200"}')
            self.assertTrue(wait_for(lambda: self.redis.pending("kill", "g") == 0 and answered() + len(first) >= 40))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            second = handled(proc.stderr.read())
        every = [s["id"] for s in first] + [s["id"] for s in second]
        self.assertEqual(set(every), set(ids))  # each at least once
        self.assertEqual(self.redis.pending("kill", "g"), 0)

    def test_two_engines_in_one_group_share_the_stream_each_entry_once(self):
        self.fn.write(self.trigger("shared", consumerGroup="g", consumerName="a"), "a.yaml")
        self.fn.write(self.trigger("shared", consumerGroup="g", consumerName="b"), "b.yaml")
        with self.serve("a.yaml") as a, self.serve("b.yaml") as b:
            admins = []
            for proc in (a, b):
                info = json.loads(proc.stdout.readline() or "null")
                self.assertIsNotNone(info)
                admins.append(info["adminPort"])
            ids = [self.redis.add("shared", f"n{i}", X_Sleep="2") for i in range(100)]
            answered = lambda: sum(metric(p, 'nimbus_events_total{trigger="orders",status="200"}') for p in admins)
            self.assertTrue(wait_for(lambda: answered() >= 100 and self.redis.pending("shared", "g") == 0))
            for proc in (a, b):
                proc.send_signal(signal.SIGTERM)
            self.assertEqual((a.wait(30), b.wait(30)), (0, 0))
            by_a = [s["id"] for s in handled(a.stderr.read())]
            by_b = [s["id"] for s in handled(b.stderr.read())]
        self.assertEqual(sorted(by_a + by_b), sorted(ids))  # every entry, once, across both
        self.assertGreater(len(by_a), 0)
        self.assertGreater(len(by_b), 0)

    def test_a_flood_with_a_slow_handler_keeps_memory_flat(self):
        body = "x" * 20_000
        total = 5000  # 100 MB of entries, 25 times the worker ring
        for start in range(0, total, 500):
            self.redis.cli("EVAL", "for i=1,%d do redis.call('XADD', KEYS[1], '*', 'body', ARGV[1], 'X-Sleep', '1') end"
                           % 500, 1, "flood", body)
        self.fn.write(self.trigger("flood", consumerGroup="g", workers=2))
        # Warnings only: the handled records (20 KB bodies) would fill the unread stderr pipe.
        with self.fn.started("serve", "--host", "127.0.0.1", "--admin-port", "0", "--log-level", "warn",
                             env=FLAT_MEMORY_ENV) as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            assert_memory_flat(self, proc, info["adminPort"], total)
            proc.kill()

    def test_a_handler_that_crashes_does_not_acknowledge(self):
        self.fn.write(self.trigger("crash", consumerGroup="g"))
        self.redis.add("crash", "boom", X_Crash="1")
        ok = self.redis.add("crash", "fine")
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                    'nimbus_events_total{trigger="orders",status="200"}') == 1))
            self.assertEqual(metric(info["adminPort"], 'nimbus_events_total{trigger="orders",status="500"}'), 1)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            self.assertEqual([s["id"] for s in handled(proc.stderr.read())], [ok])
        self.assertEqual(self.redis.pending("crash", "g"), 1)  # the crashed one, left to be claimed

    def test_a_redis_that_is_down_at_start_is_retried_and_not_ready_meanwhile(self):
        port = free_port()
        self.fn.write(self.trigger("late", url=f"redis://127.0.0.1:{port}", consumerGroup="g"))
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            admin = info["adminPort"]
            self.assertEqual(ready_status(admin), 503)
            time.sleep(2.5)  # a few retries, said once
            late = Redis(port)
            try:
                self.assertTrue(wait_for(lambda: ready_status(admin) == 200, timeout=15))
                entry = late.add("late", "at last")
                self.assertTrue(wait_for(lambda: metric(admin, 'nimbus_events_total{trigger="orders",status="200"}') == 1))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                err = proc.stderr.read()
            finally:
                late.stop()
        self.assertEqual([s["id"] for s in handled(err)], [entry])
        notices = [json.loads(l)["message"] for l in err.splitlines() if l.startswith("{")
                   and json.loads(l).get("logger") == "nimbus.triggers.orders"]
        self.assertEqual(notices[0], f"redis-stream trigger 'orders': cannot reach redis://127.0.0.1:{port} "
                                     "(Connection refused); retrying")
        self.assertEqual(sum("cannot reach" in n for n in notices), 1, notices)
        self.assertIn(f"redis-stream trigger 'orders': connected to redis://127.0.0.1:{port}", notices)

    def test_the_emulator_runs_the_same_trigger(self):
        self.fn.write(self.trigger("emulated", consumerGroup="g"))
        ids = [self.redis.add("emulated", f"e{i}") for i in range(3)]
        with self.fn.started("run", "--json") as proc:
            ready = json.loads(proc.stdout.readline() or "null")
            self.assertEqual(ready["triggers"][0]["kind"], "redis-stream")
            responses = []
            while len(responses) < 3:
                line = json.loads(proc.stdout.readline())
                if line["type"] == "response":
                    responses.append(json.loads(line["body"])["id"])
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(30), 0)
        self.assertEqual(responses, ids)
        self.assertTrue(wait_for(lambda: self.redis.pending("emulated", "g") == 0))

    def test_bad_configuration_is_an_error_naming_the_field(self):
        cases = [
            ('    orders: {kind: redis-stream, url: "redis://u:pw@127.0.0.1:1", attributes: {stream: s}}\n',
             "spec.triggers.orders.url: credentials never go in function.yaml"),
            ('    orders: {kind: redis-stream, url: "http://x", attributes: {stream: s}}\n',
             "spec.triggers.orders.url: expected redis://host:port, got 'http://x'"),
            ('    orders: {kind: redis-stream, url: "rediss://x:1", attributes: {stream: s}}\n',
             "spec.triggers.orders.url: rediss:// (TLS) is not available"),
            ('    orders: {kind: redis-stream, url: "redis://127.0.0.1:1"}\n',
             "spec.triggers.orders.attributes.stream: missing"),
            ('    orders: {kind: redis-stream, url: "redis://127.0.0.1:1", attributes: {stream: s, delivery: once}}\n',
             "spec.triggers.orders.attributes.delivery: expected at-least-once or at-most-once, got 'once'"),
            ('    orders: {kind: redis-stream, url: "redis://127.0.0.1:1", attributes: {stream: s, password: hunter2}}\n',
             "spec.triggers.orders.attributes.password: expected {env: NAME} or {file: path}"),
            ('    orders: {kind: redis-stream, url: "redis://127.0.0.1:1", password: hunter2, attributes: {stream: s}}\n',
             "spec.triggers.orders.password: credentials never go in function.yaml"),
        ]
        for yaml, message in cases:
            with self.subTest(message=message):
                self.fn.write(yaml, "bad.yaml")
                r = subprocess.run([NIMBUS, "serve", self.fn.dir / "bad.yaml", "--admin-port", "0"],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertNotIn("hunter2", r.stderr)


class NatsTest(unittest.TestCase):
    """kind: nats into `nimbus serve` and `nimbus run`, through a real nats-server."""

    @classmethod
    def setUpClass(cls):
        cls.nats = Nats()
        cls.fn = StreamFunction()

    @classmethod
    def tearDownClass(cls):
        cls.nats.stop()
        shutil.rmtree(cls.fn.dir)

    def trigger(self, topic, **attributes):
        attributes = {"topic": topic, **attributes}
        return ('    orders: {kind: nats, url: "nats://127.0.0.1:%d", numWorkers: %d, attributes: %s}\n'
                % (self.nats.port, attributes.pop("workers", 1), json.dumps(attributes)))

    def serve(self, config="function.yaml"):
        return self.fn.started("serve", "--host", "127.0.0.1", "--admin-port", "0", "--log-level", "info",
                               config=config)

    def test_every_field_of_a_message_reaches_the_handler_and_a_request_is_answered(self):
        self.fn.write(self.trigger("orders.*"))
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            self.assertEqual(info["triggers"][0]["topic"], "orders.*")
            self.assertEqual(ready_status(info["adminPort"]), 200)
            self.nats.publish("orders.eu", "first", {"Content-Type": "text/plain", "X-Key": "k1"})
            self.nats.publish("orders.us", b"\x00\x01")
            self.nats.publish("other", "not ours")
            self.nats.flush()
            reply = json.loads(self.nats.request("orders.asia", "asking"))
            self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                    'nimbus_events_total{trigger="orders",status="200"}') == 3))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            seen = handled(proc.stderr.read())
        self.assertEqual([s["topic"] for s in seen], ["orders.eu", "orders.us", "orders.asia"])
        first = seen[0]
        self.assertEqual((first["kind"], first["trigger"], first["body"], first["contentType"], first["path"]),
                         ("nats", "orders", "first", "text/plain", "orders.eu"))
        self.assertEqual(first["headers"], {"Content-Type": "text/plain", "X-Key": "k1"})
        self.assertEqual(reply["id"], seen[2]["id"])  # the handler's answer came back as the reply

    def test_a_server_that_is_down_at_start_is_retried_and_not_ready_meanwhile(self):
        port = free_port()
        self.fn.write('    orders: {kind: nats, url: "nats://127.0.0.1:%d", attributes: {topic: late}}\n' % port,
                      "late.yaml")
        with self.serve("late.yaml") as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            self.assertEqual(ready_status(info["adminPort"]), 503)
            late = Nats(port)
            try:
                self.assertTrue(wait_for(lambda: ready_status(info["adminPort"]) == 200, timeout=30))
                time.sleep(0.5)  # the subscription is resent on connecting
                late.publish("late", "after the wait")
                late.flush()
                self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                        'nimbus_events_total{trigger="orders",status="200"}') == 1))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                err = proc.stderr.read()
            finally:
                late.stop()
        self.assertEqual(err.count("cannot connect yet"), 1, err)
        self.assertIn(f"nats trigger 'orders': nats://127.0.0.1:{port}: cannot connect yet", err)
        self.assertEqual([s["body"] for s in handled(err)], ["after the wait"])

    def test_tls_with_the_servers_ca_certificate_and_a_refusal_without_it(self):
        secured = Nats(tls=True)
        try:
            self.fn.write('    orders: {kind: nats, url: "tls://127.0.0.1:%d", attributes: {topic: sealed, '
                          'caCert: {file: "%s"}}}\n' % (secured.port, secured.ca_file), "tls.yaml")
            with self.serve("tls.yaml") as proc:
                info = json.loads(proc.stdout.readline() or "null")
                self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
                secured.publish("sealed", "over tls")
                secured.flush()
                self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                        'nimbus_events_total{trigger="orders",status="200"}') == 1))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                self.assertEqual([s["body"] for s in handled(proc.stderr.read())], ["over tls"])
            # Without the CA the server's certificate is not trusted: an error at the start, naming why.
            self.fn.write('    orders: {kind: nats, url: "tls://127.0.0.1:%d", attributes: {topic: sealed}}\n'
                          % secured.port, "untrusted.yaml")
            with self.serve("untrusted.yaml") as proc:
                self.assertNotEqual(proc.wait(60), 0)
                err = proc.stderr.read()
            self.assertIn(f"nats trigger 'orders': tls://127.0.0.1:{secured.port}: ", err)
            self.assertIn("SSL handshake error: 18:self-signed certificate", err)
        finally:
            secured.stop()

    def test_past_its_pending_limits_the_subscription_drops_and_says_so(self):
        self.fn.write(self.trigger("slow", maxInFlight=1, pendingMessages=5))
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info)
            for i in range(200):
                self.nats.publish("slow", f"m{i}", headers={"X-Sleep": "20"})
            self.nats.flush()
            ok = lambda: metric(info["adminPort"], 'nimbus_events_total{trigger="orders",status="200"}')
            self.assertTrue(wait_for(lambda: ok() >= 5))
            time.sleep(1)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            err = proc.stderr.read()
        self.assertLess(len(handled(err)), 200)
        self.assertEqual(err.count("dropping messages"), 1, err)
        self.assertIn("pending limits are reached (pendingMessages 5, pendingBytes 67108864)", err)

    def test_two_engines_in_one_queue_group_each_message_once(self):
        self.fn.write(self.trigger("jobs", queueName="workers"), "a.yaml")
        self.fn.write(self.trigger("jobs", queueName="workers"), "b.yaml")
        with self.serve("a.yaml") as a, self.serve("b.yaml") as b:
            admins = [json.loads(p.stdout.readline())["adminPort"] for p in (a, b)]
            for i in range(100):
                self.nats.publish("jobs", f"job {i}")
            self.nats.flush()
            answered = lambda: sum(metric(p, 'nimbus_events_total{trigger="orders",status="200"}') for p in admins)
            self.assertTrue(wait_for(lambda: answered() >= 100))
            time.sleep(0.2)
            self.assertEqual(answered(), 100)
            for proc in (a, b):
                proc.send_signal(signal.SIGTERM)
            self.assertEqual((a.wait(30), b.wait(30)), (0, 0))
            bodies = [s["body"] for p in (a, b) for s in handled(p.stderr.read())]
        self.assertEqual(sorted(bodies), sorted(f"job {i}" for i in range(100)))

    def test_the_emulator_runs_the_same_trigger(self):
        self.fn.write(self.trigger("emulated"))
        with self.fn.started("run", "--json") as proc:
            ready = json.loads(proc.stdout.readline() or "null")
            self.assertEqual(ready["triggers"][0]["kind"], "nats")
            reply = json.loads(self.nats.request("emulated", "hi"))
            line = {}
            while line.get("type") != "response":
                line = json.loads(proc.stdout.readline())
            self.assertEqual(json.loads(line["body"])["id"], reply["id"])
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(30), 0)


class MqttTest(unittest.TestCase):
    """kind: mqtt into `nimbus serve` and `nimbus run`, through a real mosquitto, MQTT 5."""

    @classmethod
    def setUpClass(cls):
        cls.broker = Mosquitto()
        cls.fn = StreamFunction()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        shutil.rmtree(cls.fn.dir)

    def trigger(self, subscriptions, port=None, workers=1, **attributes):
        attributes = {"subscriptions": subscriptions, **attributes}
        return ('    orders: {kind: mqtt, url: "tcp://127.0.0.1:%d", numWorkers: %d, attributes: %s}\n'
                % (port or self.broker.port, workers, json.dumps(attributes)))

    def serve(self, config="function.yaml"):
        return self.fn.started("serve", "--host", "127.0.0.1", "--admin-port", "0", "--log-level", "info",
                               config=config)

    def test_every_field_of_a_message_reaches_the_handler_and_a_request_is_answered(self):
        self.fn.write(self.trigger([{"topic": "shop/+/orders", "qos": 1}, {"topic": "other/#", "qos": 0}],
                                   clientID="fields-client"))
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            self.assertEqual(info["triggers"][0]["clientID"], "fields-client")
            self.assertEqual(ready_status(info["adminPort"]), 200)
            self.broker.publish("shop/eu/orders", [b"first"], user_properties={"X-Key": "k1", "X-Other": "o"},
                                content_type="text/plain")
            self.broker.publish("other/x", [b"\x00\x01"], qos=0)
            self.broker.publish("not/ours", [b"no"])
            body, correlation = self.broker.request("shop/us/orders", b"asking")
            self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                    'nimbus_events_total{trigger="orders",status="200"}') == 3))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            seen = handled(proc.stderr.read())
        self.assertEqual([s["topic"] for s in seen], ["shop/eu/orders", "other/x", "shop/us/orders"])
        first = seen[0]
        self.assertEqual((first["kind"], first["trigger"], first["body"], first["contentType"], first["path"]),
                         ("mqtt", "orders", "first", "text/plain", "shop/eu/orders"))
        self.assertEqual(first["headers"], {"X-Key": "k1", "X-Other": "o"})
        self.assertEqual(json.loads(body)["id"], seen[2]["id"])  # answered on the response topic
        self.assertEqual(correlation, b"corr-1")

    def test_two_engines_in_one_shared_subscription_each_message_once(self):
        self.fn.write(self.trigger([{"topic": "$share/workers/jobs", "qos": 1}]), "a.yaml")
        self.fn.write(self.trigger([{"topic": "$share/workers/jobs", "qos": 1}]), "b.yaml")
        with self.serve("a.yaml") as a, self.serve("b.yaml") as b:
            admins = [json.loads(p.stdout.readline())["adminPort"] for p in (a, b)]
            self.broker.publish("jobs", [f"job {i}".encode() for i in range(100)])
            answered = lambda: sum(metric(p, 'nimbus_events_total{trigger="orders",status="200"}') for p in admins)
            self.assertTrue(wait_for(lambda: answered() >= 100))
            time.sleep(0.2)
            self.assertEqual(answered(), 100)
            for proc in (a, b):
                proc.send_signal(signal.SIGTERM)
            self.assertEqual((a.wait(30), b.wait(30)), (0, 0))
            per_engine = [[s["body"] for s in handled(p.stderr.read())] for p in (a, b)]
        self.assertEqual(sorted(per_engine[0] + per_engine[1]), sorted(f"job {i}" for i in range(100)))
        self.assertTrue(per_engine[0] and per_engine[1])  # both took a share

    def test_a_message_whose_handler_crashed_is_delivered_again_and_then_acknowledged(self):
        marker = self.fn.dir / "crashed-once"
        self.fn.write(self.trigger([{"topic": "crash", "qos": 1}], clientID="crash-client", cleanSession=False))
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info)
            self.broker.publish("crash", [b"boom"], user_properties={"X-Crash-Once": str(marker)})
            self.broker.publish("crash", [b"fine"])
            ok = lambda: metric(info["adminPort"], 'nimbus_events_total{trigger="orders",status="200"}')
            self.assertTrue(wait_for(lambda: ok() == 2, timeout=40))
            self.assertEqual(metric(info["adminPort"], 'nimbus_events_total{trigger="orders",status="500"}'), 1)
            time.sleep(1.5)  # acknowledged now: not delivered a third time
            self.assertEqual(ok(), 2)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            err = proc.stderr.read()
        self.assertTrue(marker.exists())  # the first delivery crashed the worker
        self.assertEqual(sorted(s["body"] for s in handled(err)), ["boom", "fine"])
        self.assertIn("a message failed (status 500): reconnecting in 1 s", err)

    def session(self, config="function.yaml"):
        """Starts and stops an engine, so that the broker keeps a persistent session for its clientID."""
        with self.serve(config) as proc:
            self.assertIsNotNone(json.loads(proc.stdout.readline() or "null"))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)

    def test_at_least_once_survives_a_sigkill_and_a_restart(self):
        self.fn.write(self.trigger([{"topic": "kill", "qos": 1}], clientID="kill-client", cleanSession=False,
                                   maxInFlight=2))
        self.session()
        self.broker.publish("kill", [f"n{i}".encode() for i in range(40)], user_properties={"X-Sleep": "20"})
        with self.serve() as proc:  # the messages waited in the session
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                    'nimbus_events_total{trigger="orders",status="200"}') >= 5))
            os.kill(proc.pid, signal.SIGKILL)  # mid-stream: messages taken and not acknowledged
            proc.wait()
            first = [s["body"] for s in handled(proc.stderr.read())]
        self.assertLess(len(first), 40)
        self.broker.publish("kill", [b"n40"], user_properties={"X-Sleep": "20"})  # while the engine is down
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            answered = lambda: metric(info["adminPort"], 'nimbus_events_total{trigger="orders",status="200"}')
            self.assertTrue(wait_for(lambda: answered() + len(first) >= 41, timeout=60))
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            second = [s["body"] for s in handled(proc.stderr.read())]
        self.assertEqual(set(first) | set(second), {f"n{i}" for i in range(41)})  # each at least once
        self.assertLessEqual(len(set(first) & set(second)), 2)  # again: at most those running at the kill

    def test_a_flood_with_a_slow_handler_keeps_memory_flat(self):
        total = 4000  # 100 MB of 25 KB messages waiting in the broker, 25 times the worker ring
        self.fn.write(self.trigger([{"topic": "flood", "qos": 1}], clientID="flood-client", cleanSession=False,
                                   workers=2))
        self.session()
        self.broker.publish("flood", [b"x" * 25_000] * total, user_properties={"X-Sleep": "1"})
        with self.fn.started("serve", "--host", "127.0.0.1", "--admin-port", "0", "--log-level", "warn",
                             env=FLAT_MEMORY_ENV) as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
            assert_memory_flat(self, proc, info["adminPort"], total)
            proc.kill()

    def test_an_oversize_message_is_refused_with_a_reason_and_the_next_one_runs(self):
        self.fn.write(self.trigger([{"topic": "big", "qos": 1}], maxBodySize=1000))
        with self.serve() as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info)
            self.broker.publish("big", [b"y" * 2000, b"z" * 300_000, b"small"])
            self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                    'nimbus_events_total{trigger="orders",status="200"}') == 1))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            err = proc.stderr.read()
        self.assertEqual([s["body"] for s in handled(err)], ["small"])
        self.assertIn("a message on big of 2000 bytes is over the 1000-byte limit: refused", err)
        self.assertIn("a message on big of 300000 bytes is over the 1000-byte limit: refused", err)

    def test_a_broker_that_is_down_at_start_is_retried_and_not_ready_meanwhile(self):
        port = free_port()
        self.fn.write(self.trigger([{"topic": "late", "qos": 1}], port=port), "late.yaml")
        with self.serve("late.yaml") as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info)
            self.assertEqual(ready_status(info["adminPort"]), 503)
            late = Mosquitto(port)
            try:
                self.assertTrue(wait_for(lambda: ready_status(info["adminPort"]) == 200, timeout=40))
                late.publish("late", [b"after the wait"])
                self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                        'nimbus_events_total{trigger="orders",status="200"}') == 1))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                err = proc.stderr.read()
            finally:
                late.stop()
        self.assertEqual(err.count("cannot connect yet"), 1, err)
        self.assertIn(f"mqtt trigger 'orders': tcp://127.0.0.1:{port}: cannot connect yet", err)
        self.assertIn("connected", err)
        self.assertEqual([s["body"] for s in handled(err)], ["after the wait"])

    def test_a_broker_that_goes_away_mid_run_is_said_once_and_the_trigger_reconnects(self):
        port = free_port()
        broker = Mosquitto(port)
        self.fn.write(self.trigger([{"topic": "bounce", "qos": 1}], port=port, keepAlive=5), "bounce.yaml")
        try:
            with self.serve("bounce.yaml") as proc:
                info = json.loads(proc.stdout.readline() or "null")
                self.assertIsNotNone(info)
                ok = lambda: metric(info["adminPort"], 'nimbus_events_total{trigger="orders",status="200"}')
                time.sleep(8)  # idle past 1.5 keepAlive: only the trigger's pings keep the broker from closing
                broker.publish("bounce", [b"before"])
                self.assertTrue(wait_for(lambda: ok() == 1))
                broker.stop()
                self.assertTrue(wait_for(lambda: ready_status(info["adminPort"]) == 503, timeout=20))
                broker = Mosquitto(port)
                self.assertTrue(wait_for(lambda: ready_status(info["adminPort"]) == 200, timeout=40))
                broker.publish("bounce", [b"after"])
                self.assertTrue(wait_for(lambda: ok() == 2))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                err = proc.stderr.read()
        finally:
            broker.stop()
        self.assertEqual(err.count("disconnected ("), 1, err)
        self.assertIn(f"mqtt trigger 'orders': tcp://127.0.0.1:{port}: connected", err)
        self.assertEqual([s["body"] for s in handled(err)], ["before", "after"])

    def test_a_broker_that_breaks_the_protocol_is_said_and_never_crashes_the_engine(self):
        # Not a broker: a socket that accepts the CONNECT, then answers with what no MQTT broker sends.
        import threading
        replies = [b"\x20\x03\x00\x00\x00" + b"\x90\xff\xff\xff\x7f",  # CONNACK, then a 256 MB "SUBACK"
                   b"\x20\x03\x00\x00\x00" + b"\x00\x00"]  # CONNACK, then a packet of type 0
        server = socket.create_server(("127.0.0.1", 0))
        port = server.getsockname()[1]

        def serve():
            for reply in replies:
                conn, _ = server.accept()
                conn.recv(65536)  # the CONNECT (and the SUBSCRIBE after the CONNACK)
                conn.sendall(reply)
                time.sleep(0.5)
                conn.close()
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        self.fn.write(self.trigger([{"topic": "t", "qos": 1}], port=port), "rogue.yaml")
        with self.serve("rogue.yaml") as proc:
            info = json.loads(proc.stdout.readline() or "null")
            self.assertIsNotNone(info)
            thread.join(20)
            self.assertEqual(ready_status(info["adminPort"]), 503)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)
            err = proc.stderr.read()
        server.close()
        self.assertIn("a packet of 268435455 bytes from the broker, not a message", err)
        self.assertIn("a malformed packet from the broker (a packet of type 0)", err)

    def test_tls_with_the_brokers_ca_certificate_and_a_refusal_without_it(self):
        secured = Mosquitto(tls=True)
        try:
            subscriptions = [{"topic": "sealed", "qos": 1}]
            self.fn.write('    orders: {kind: mqtt, url: "ssl://127.0.0.1:%d", attributes: %s}\n' % (
                secured.port, json.dumps({"subscriptions": subscriptions, "caCert": {"file": str(secured.ca_file)}})),
                "tls.yaml")
            with self.serve("tls.yaml") as proc:
                info = json.loads(proc.stdout.readline() or "null")
                self.assertIsNotNone(info)
                self.assertEqual(ready_status(info["adminPort"]), 200)
                secured.publish("sealed", [b"over tls"])
                body, _ = secured.request("sealed", b"answered over tls")
                self.assertTrue(wait_for(lambda: metric(info["adminPort"],
                                                        'nimbus_events_total{trigger="orders",status="200"}') == 2))
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                seen = handled(proc.stderr.read())
            self.assertEqual([s["body"] for s in seen], ["over tls", "answered over tls"])
            self.assertEqual(json.loads(body)["id"], seen[1]["id"])
            # Without the CA the broker's certificate is not trusted: said once, retried, not ready.
            self.fn.write('    orders: {kind: mqtt, url: "ssl://127.0.0.1:%d", attributes: %s}\n' % (
                secured.port, json.dumps({"subscriptions": subscriptions})), "untrusted.yaml")
            with self.serve("untrusted.yaml") as proc:
                info = json.loads(proc.stdout.readline() or "null")
                time.sleep(4)  # retried meanwhile (1 s, 2 s)
                self.assertEqual(ready_status(info["adminPort"]), 503)
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(30), 0)
                err = proc.stderr.read()
            self.assertEqual(err.count("TLS handshake failed"), 1, err)
            self.assertIn("certificate verify failed", err)
        finally:
            secured.stop()

    def test_the_emulator_runs_the_same_trigger(self):
        self.fn.write(self.trigger([{"topic": "emulated", "qos": 1}]))
        with self.fn.started("run", "--json") as proc:
            ready = json.loads(proc.stdout.readline() or "null")
            self.assertEqual(ready["triggers"][0]["kind"], "mqtt")
            body, _ = self.broker.request("emulated", b"hi")
            line = {}
            while line.get("type") != "response":
                line = json.loads(proc.stdout.readline())
            self.assertEqual(json.loads(line["body"])["id"], json.loads(body)["id"])
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(30), 0)

    def test_bad_configuration_is_an_error_naming_the_field(self):
        for trigger, expected in [
            ("{kind: mqtt, url: 'http://h:1', attributes: {subscriptions: [t]}}", ".url: expected tcp://host:port"),
            ("{kind: mqtt, url: 'tcp://u:secret@h:1', attributes: {subscriptions: [t]}}", "credentials never go"),
            ("{kind: mqtt, url: 'tcp://h:1', attributes: {}}", ".attributes.subscriptions: missing"),
            ("{kind: mqtt, url: 'tcp://h:1', attributes: {subscriptions: [{topic: t, qos: 3}]}}", "expected 0, 1 or 2"),
            ("{kind: mqtt, url: 'tcp://h:1', attributes: {subscriptions: [t], cleanSession: false}}",
             ".attributes.clientID: cleanSession: false needs a fixed clientID"),
            ("{kind: mqtt, url: 'tcp://h:1', attributes: {subscriptions: [t], password: secret}}",
             "attributes.password: expected {env: NAME} or {file: path}"),
        ]:
            self.fn.write(f"    orders: {trigger}\n", "bad.yaml")
            with self.serve("bad.yaml") as proc:
                self.assertNotEqual(proc.wait(60), 0)
                err = proc.stderr.read()
            self.assertIn(expected, err)
            self.assertNotIn("secret", err.replace("secrets never", ""))


if __name__ == "__main__":
    unittest.main()
