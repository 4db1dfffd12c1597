"""Data bindings against real services: a Redis server from Debian, started here on a free port
and stopped by its process id, and SQLite database files. One function, unchanged, runs against
`memory`, `file`, `redis` and `sqlite` with only function.yaml (or --bind) changed; TTL and
increment semantics on a real Redis and on SQLite; increments from two worker processes lose
nothing, on either; a Redis that refuses connections
or a missing secret stops the start with an error naming the binding; the secret's value
appears in no output.

Run by ctest (which sets NIMBUS and NIMBUS_SOURCE_DIR), or by hand:
NIMBUS=build/cli/nimbus NIMBUS_SOURCE_DIR=. NIMBUS_FIXTURES=build/tests/fixtures python3 -m unittest -v test_bindings
"""

import concurrent.futures
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from brokers import Nats, Redis, free_port
from test_serve import Server

NIMBUS = os.environ["NIMBUS"]

# Does what its JSON body asks of the key-value binding `store` and answers the result.
STORE = """\
#include <chrono>
#include <optional>
#include <string>
#include <nimbus/nimbus.hpp>
nimbus::Response store(nimbus::Context& ctx, const nimbus::Event& event) {
  const nimbus::Json q = event.json();
  const std::string op = q.value("op", "");
  if (op == "publish") {  // to the publish binding q.binding (default "store"), carrying the traceparent
    nimbus::MessageHeaders headers;
    const nimbus::Json given = q.value("headers", nimbus::Json::object());
    for (const auto& [name, value] : given.items()) headers.emplace_back(name, value.get<std::string>());
    try {
      ctx.publisher(q.value("binding", "store")).publish(q.value("topic", ""), q.value("payload", ""), headers);
    } catch (const nimbus::BindingError& e) {
      return nimbus::Response::json({{"error", e.what()}}, 503);
    }
    return nimbus::Response::json({{"published", true}, {"trace", std::string(ctx.trace_parent())}});
  }
  auto& kv = ctx.kv("store");
  const std::string key = q.value("key", "");
  std::optional<std::chrono::milliseconds> ttl;
  if (q.contains("ttl_ms")) ttl = std::chrono::milliseconds(q["ttl_ms"].get<long long>());
  try {
    if (op == "get") {
      auto v = kv.get(key);
      return nimbus::Response::json({{"value", v ? nimbus::Json(*v) : nimbus::Json(nullptr)}});
    }
    if (op == "put") {
      kv.put(key, q.value("value", ""), ttl);
      return nimbus::Response::json({{"ok", true}});
    }
    if (op == "get_many") {
      nimbus::Json values = nimbus::Json::array();
      for (const auto& v : kv.get_many(q.value("keys", std::vector<std::string>{})))
        values.push_back(v ? nimbus::Json(*v) : nimbus::Json(nullptr));
      return nimbus::Response::json({{"values", values}});
    }
    if (op == "put_many") {
      std::vector<std::pair<std::string, std::string>> entries;
      const nimbus::Json given = q.value("entries", nimbus::Json::object());
      for (const auto& [k, v] : given.items()) entries.emplace_back(k, v.get<std::string>());
      kv.put_many(entries, ttl);
      return nimbus::Response::json({{"ok", true}});
    }
    if (op == "remove") return nimbus::Response::json({{"existed", kv.remove(key)}});
    if (op == "list") return nimbus::Response::json({{"keys", kv.list(q.value("prefix", ""))}});
    if (op == "increment") return nimbus::Response::json({{"value", kv.increment(key, q.value("by", 1LL))}});
    if (op == "cas") {
      std::optional<std::string> expected;
      if (q.contains("expected") && q["expected"].is_string()) expected = q["expected"].get<std::string>();
      const bool stored = kv.compare_and_set(
          key, expected ? std::optional<std::string_view>(*expected) : std::nullopt, q.value("value", ""), ttl);
      return nimbus::Response::json({{"stored", stored}});
    }
  } catch (const nimbus::BindingError& e) {  // a call that failed reaches the handler: it answers
    return nimbus::Response::json({{"error", e.what()}}, 503);
  }
  return nimbus::Response::text("unknown op " + op, 400);
}
NIMBUS_FUNCTION(store)
"""

# The calls every kind answers alike; (request, expected answer).
SCRIPT = [
    ({"op": "get", "key": "ada"}, {"value": None}),
    ({"op": "put", "key": "ada", "value": "1"}, {"ok": True}),
    ({"op": "get", "key": "ada"}, {"value": "1"}),
    ({"op": "increment", "key": "visits"}, {"value": 1}),
    ({"op": "increment", "key": "visits", "by": 41}, {"value": 42}),
    ({"op": "cas", "key": "lock", "expected": None, "value": "me"}, {"stored": True}),
    ({"op": "cas", "key": "lock", "expected": None, "value": "you"}, {"stored": False}),
    ({"op": "cas", "key": "lock", "expected": "me", "value": "you"}, {"stored": True}),
    ({"op": "get", "key": "lock"}, {"value": "you"}),
    ({"op": "put", "key": "user:2", "value": "b"}, {"ok": True}),
    ({"op": "put", "key": "user:1", "value": "a"}, {"ok": True}),
    ({"op": "put", "key": "user*", "value": "glob"}, {"ok": True}),
    ({"op": "list", "prefix": "user:"}, {"keys": ["user:1", "user:2"]}),
    ({"op": "put_many", "entries": {"many:1": "x", "many:2": "y"}}, {"ok": True}),
    ({"op": "get_many", "keys": ["many:2", "absent", "many:1"]}, {"values": ["y", None, "x"]}),
    ({"op": "get_many", "keys": []}, {"values": []}),
    ({"op": "remove", "key": "user:1"}, {"existed": True}),
    ({"op": "remove", "key": "user:1"}, {"existed": False}),
]


class BindingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.nats = Nats()
        cls.dir = Path(tempfile.mkdtemp())
        (cls.dir / "store.cpp").write_text(STORE)
        cls.write("{kind: memory}")
        r = subprocess.run([NIMBUS, "build", cls.dir / "function.yaml"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.redis.stop()
        cls.nats.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.redis.cli("FLUSHALL")

    @classmethod
    def write(cls, binding, workers=1, name="function.yaml"):
        (cls.dir / name).write_text(
            "metadata: {name: store}\nspec:\n  handler: store:store\n  build: {sources: [store.cpp]}\n"
            f"  dataBindings:\n    store: {binding}\n"
            f"  triggers:\n    web: {{kind: http, numWorkers: {workers}, attributes: {{port: 0}}}}\n")
        return cls.dir / name

    def redis_binding(self, extra=""):
        return "{kind: redis, url: \"redis://127.0.0.1:%d\"%s}" % (self.redis.port, extra)

    def call(self, server, body):
        status, _, answer = server.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
        return status, json.loads(answer)

    def run_script(self, config):
        with Server(config) as s:
            for request, want in SCRIPT:
                status, got = self.call(s, request)
                self.assertEqual((status, got), (200, want), request)
            s.stop()

    def test_one_function_runs_unchanged_against_memory_file_and_redis(self):
        self.run_script(self.write("{kind: memory}"))
        (self.dir / "seed.json").write_text('{"grace": "seeded"}')
        self.run_script(self.write("{kind: file, path: seed.json}"))  # the fixture, then memory
        with Server(self.write("{kind: file, path: seed.json}")) as s:
            self.assertEqual(self.call(s, {"op": "get", "key": "grace"}), (200, {"value": "seeded"}))
        self.assertEqual((self.dir / "seed.json").read_text(), '{"grace": "seeded"}', "never written")
        self.run_script(self.write(self.redis_binding()))
        # What the function wrote is in Redis itself.
        self.assertEqual(self.redis.cli("GET", "visits"), "42")
        self.assertEqual(self.redis.cli("GET", "lock"), "you")

    def sqlite_binding(self, name="store.db"):
        return "{kind: sqlite, path: %s}" % name

    def sqlite_rows(self, name="store.db"):
        with sqlite3.connect(self.dir / name) as db:
            return dict(db.execute("SELECT CAST(key AS TEXT), CAST(value AS TEXT) FROM nimbus_kv"))

    def test_the_same_function_runs_unchanged_against_sqlite(self):
        (self.dir / "script.db").unlink(missing_ok=True)
        self.run_script(self.write(self.sqlite_binding("script.db")))
        rows = self.sqlite_rows("script.db")
        self.assertEqual((rows["visits"], rows["lock"], rows["user:2"]), ("42", "you", "b"))
        with sqlite3.connect(self.dir / "script.db") as db:
            self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        # What was written survives the engine: a second one reads it.
        with Server(self.write(self.sqlite_binding("script.db"))) as s:
            self.assertEqual(self.call(s, {"op": "get", "key": "visits"}), (200, {"value": "42"}))

    def test_ttl_and_increment_semantics_on_sqlite(self):
        (self.dir / "ttl.db").unlink(missing_ok=True)
        with Server(self.write(self.sqlite_binding("ttl.db"))) as s:
            self.assertEqual(self.call(s, {"op": "put", "key": "soon", "value": "7", "ttl_ms": 300})[0], 200)
            self.assertEqual(self.call(s, {"op": "increment", "key": "soon"}), (200, {"value": 8}))
            self.assertEqual(self.call(s, {"op": "list", "prefix": "so"}), (200, {"keys": ["soon"]}))
            deadline = time.monotonic() + 10
            while self.call(s, {"op": "get", "key": "soon"})[1]["value"] is not None:  # the expiry stayed
                self.assertLess(time.monotonic(), deadline, "the entry never expired")
                time.sleep(0.05)
            self.assertEqual(self.call(s, {"op": "list", "prefix": "so"}), (200, {"keys": []}))
            self.assertEqual(self.call(s, {"op": "remove", "key": "soon"}), (200, {"existed": False}))
            self.assertEqual(self.call(s, {"op": "increment", "key": "soon"}), (200, {"value": 1}))
            self.assertEqual(self.call(s, {"op": "put", "key": "word", "value": "ada"})[0], 200)
            status, got = self.call(s, {"op": "increment", "key": "word"})
            self.assertEqual(status, 503)
            self.assertIn("binding 'store'", got["error"])
            self.assertIn("not an integer", got["error"])
            self.assertEqual(self.call(s, {"op": "get", "key": "word"}), (200, {"value": "ada"}))

    def test_increments_from_two_worker_processes_on_sqlite_lose_nothing(self):
        (self.dir / "shared.db").unlink(missing_ok=True)
        with Server(self.write(self.sqlite_binding("shared.db"), workers=2)) as s:
            def visit(_):
                return self.call(s, {"op": "increment", "key": "n"})
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(visit, range(400)))
            self.assertEqual([a[0] for a in answers], [200] * 400)
            # Every sum was seen once: no two increments read the same old value.
            self.assertEqual(sorted(a[1]["value"] for a in answers), list(range(1, 401)))
            self.assertEqual(self.sqlite_rows("shared.db")["n"], "400")
            def take(i):
                return self.call(s, {"op": "cas", "key": "lock", "expected": None, "value": str(i)})[1]["stored"]
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                taken = list(pool.map(take, range(50)))
            self.assertEqual(taken.count(True), 1)

    def test_a_sqlite_database_that_cannot_be_opened_stops_the_start_naming_the_binding(self):
        err = self.serve_fails(self.write("{kind: sqlite, path: no/such/dir/store.db}"))
        self.assertIn("binding 'store' (sqlite, %s): cannot open" % (self.dir / "no/such/dir/store.db"), err)
        err = self.serve_fails(self.write("{kind: sqlite}"))
        self.assertIn("of kind 'sqlite' needs a path", err)
        err = self.serve_fails(self.write("{kind: sqlite, path: a.db, attributes: {table: \"x; DROP\"}}"))
        self.assertIn("spec.dataBindings.store.attributes.table", err)

    def test_the_emulator_takes_the_redis_binding_from_bind(self):
        events = self.dir / "events"
        events.mkdir(exist_ok=True)
        (events / "visit.json").write_text(json.dumps({"body": {"op": "increment", "key": "seen", "by": 5}}))
        r = subprocess.run([NIMBUS, "run", self.dir / "function.yaml", "--event", events / "visit.json", "--json",
                            "--bind", f"store=redis:redis://127.0.0.1:{self.redis.port}"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.redis.cli("GET", "seen"), "5")

    def test_ttl_and_increment_semantics_on_a_real_redis(self):
        with Server(self.write(self.redis_binding())) as s:
            self.assertEqual(self.call(s, {"op": "put", "key": "soon", "value": "7", "ttl_ms": 300})[0], 200)
            ttl = int(self.redis.cli("PTTL", "soon"))
            self.assertTrue(0 < ttl <= 300, ttl)
            self.assertEqual(self.call(s, {"op": "increment", "key": "soon"}), (200, {"value": 8}))
            self.assertGreater(int(self.redis.cli("PTTL", "soon")), 0)  # an increment keeps the expiry
            deadline = time.monotonic() + 10
            while self.call(s, {"op": "get", "key": "soon"})[1]["value"] is not None:
                self.assertLess(time.monotonic(), deadline, "the entry never expired")
                time.sleep(0.05)
            self.assertEqual(self.call(s, {"op": "increment", "key": "soon"}), (200, {"value": 1}))
            self.assertEqual(self.call(s, {"op": "put_many", "entries": {"a": "1", "b": "2"}, "ttl_ms": 300}),
                             (200, {"ok": True}))  # pipelined SETs, each with its expiry
            for key in ("a", "b"):
                self.assertTrue(0 < int(self.redis.cli("PTTL", key)) <= 300)
            self.redis.cli("SET", "word", "ada")
            status, got = self.call(s, {"op": "increment", "key": "word"})
            self.assertEqual(status, 503)
            self.assertIn("binding 'store'", got["error"])
            self.assertIn("not an integer", got["error"])
            self.assertEqual(self.redis.cli("GET", "word"), "ada")

    def test_increments_from_two_worker_processes_lose_nothing(self):
        with Server(self.write(self.redis_binding(), workers=2)) as s:
            def visit(_):
                return self.call(s, {"op": "increment", "key": "n"})[0]
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(visit, range(400)))
            self.assertEqual(statuses, [200] * 400)
            self.assertEqual(self.redis.cli("GET", "n"), "400")
            # And compare-and-set lets exactly one of many take a lock.
            def take(i):
                return self.call(s, {"op": "cas", "key": "lock", "expected": None, "value": str(i)})[1]["stored"]
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                taken = list(pool.map(take, range(50)))
            self.assertEqual(taken.count(True), 1)

    def test_a_redis_that_goes_away_is_an_error_for_the_call_and_reconnected_after(self):
        other = Redis()
        try:
            with Server(self.write("{kind: redis, url: \"redis://127.0.0.1:%d\"}" % other.port)) as s:
                self.assertEqual(self.call(s, {"op": "put", "key": "k", "value": "v"}), (200, {"ok": True}))
                port = other.port
                other.stop()
                status, got = self.call(s, {"op": "get", "key": "k"})
                self.assertEqual(status, 503)
                self.assertIn("binding 'store' (redis, redis://127.0.0.1:%d)" % port, got["error"])
                other = Redis(port)
                self.assertEqual(self.call(s, {"op": "get", "key": "k"}), (200, {"value": None}))  # a new, empty server
                self.assertEqual(self.call(s, {"op": "put", "key": "k", "value": "w"}), (200, {"ok": True}))
                self.assertEqual(other.cli("GET", "k"), "w")
                port = other.port
                other.stop()
                status, got = self.call(s, {"op": "put_many", "entries": {"p": "1", "q": "2"}})
                self.assertEqual(status, 503)
                self.assertIn("binding 'store' (redis, redis://127.0.0.1:%d)" % port, got["error"])
                other = Redis(port)
                self.assertEqual(self.call(s, {"op": "put_many", "entries": {"p": "1", "q": "2"}}), (200, {"ok": True}))
                self.assertEqual(self.call(s, {"op": "get_many", "keys": ["q", "p"]}), (200, {"values": ["2", "1"]}))
        finally:
            other.stop()

    TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    def publish(self, server, body, trace=TRACE):
        status, _, answer = server.request("POST", "/", json.dumps({"op": "publish", **body}),
                                           {"Content-Type": "application/json", "traceparent": trace})
        return status, json.loads(answer)

    def test_a_publish_to_redis_is_a_stream_entry_with_its_headers_and_the_requests_traceparent(self):
        # The one redis binding gives both interfaces: kv above, publish here.
        with Server(self.write(self.redis_binding())) as s:
            got = self.publish(s, {"topic": "orders", "payload": "order 17", "headers": {"x-shop": "north"}})
            self.assertEqual(got, (200, {"published": True, "trace": self.TRACE}))
            self.assertEqual(self.call(s, {"op": "put", "key": "k", "value": "v"}), (200, {"ok": True}))
            # A field the stream entry cannot hold is an error the handler answers; the worker goes on.
            status, got = self.publish(s, {"topic": "orders", "payload": "x", "headers": {"body": "clash"}})
            self.assertEqual(status, 503)
            self.assertIn("binding 'store' (redis, redis://127.0.0.1:%d): publish to 'orders': a header may "
                          "not be named 'body'" % self.redis.port, got["error"])
            self.assertEqual(self.publish(s, {"topic": "orders", "payload": "order 18"}, trace="")[0], 200)
        entries = self.redis.cli("XRANGE", "orders", "-", "+").split("\n")
        # redis-cli prints an entry as its id, then field and value lines.
        self.assertEqual(entries[1:7], ["body", "order 17", "x-shop", "north", "traceparent", self.TRACE])
        self.assertEqual(entries[8:], ["body", "order 18"])
        self.assertEqual(self.redis.cli("XLEN", "orders"), "2")

    def test_the_orders_example_runs_against_redis_with_only_its_function_yaml_changed(self):
        example = Path(os.environ["NIMBUS_SOURCE_DIR"]) / "examples" / "orders"

        def settings(name):  # the file without its comments and its bindings' kinds
            lines = [l for l in (example / name).read_text().splitlines() if l and not l.startswith("#")]
            return [l.split(":")[0] if "{kind:" in l else l for l in lines]
        self.assertEqual(settings("function.yaml"), settings("function-redis.yaml"))
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "orders"
            shutil.copytree(example, copy, ignore=shutil.ignore_patterns(".nimbus*", "build"))
            config = copy / "function-redis.yaml"
            config.write_text(config.read_text().replace("127.0.0.1:6379", "127.0.0.1:%d" % self.redis.port))
            with Server(config) as s:
                def order(body, headers=None):
                    status, _, answer = s.request("POST", "/orders", json.dumps(body),
                                                  {"Content-Type": "application/json", **(headers or {})})
                    return status, json.loads(answer)
                with concurrent.futures.ThreadPoolExecutor(4) as pool:  # both workers take orders
                    placed = list(pool.map(lambda i: order({"item": "book"})[0], range(20)))
                self.assertEqual(placed, [201] * 20)
                self.assertEqual(order({"item": "pen", "quantity": 3}, {"traceparent": self.TRACE}),
                                 (201, {"order": {"id": "21", "item": "pen", "quantity": 3}, "sold": 3}))
                status, _, answer = s.request("GET", "/orders/21")
                self.assertEqual((status, json.loads(answer)), (200, {"id": "21", "item": "pen", "quantity": 3}))
                self.assertEqual(s.request("GET", "/orders/99")[:3:2], (404, b"no order 99"))
                self.assertEqual(s.request("POST", "/orders", "{}", {"Content-Type": "application/json"})[2],
                                 b'"item" must be a non-empty string')
                deadline = time.monotonic() + 10
                while s.metric('orders_placed_total{function="orders",item="book"}') != 20:
                    self.assertLess(time.monotonic(), deadline, "the workers' counts never added up")
                    time.sleep(0.05)
            # What the function did is in Redis itself: numbers without a gap, totals, the stream.
            self.assertEqual(self.redis.cli("GET", "orders:next"), "21")
            self.assertEqual(self.redis.cli("GET", "sold:book"), "20")
            self.assertEqual(json.loads(self.redis.cli("GET", "order:21")), {"id": "21", "item": "pen", "quantity": 3})
            self.assertEqual(self.redis.cli("XLEN", "orders"), "21")
            last = self.redis.cli("XREVRANGE", "orders", "+", "-", "COUNT", "1").split("\n")
            self.assertEqual(last[1:7], ["body", json.dumps({"id": "21", "item": "pen", "quantity": 3},
                                                            separators=(",", ":")),
                                         "type", "order-placed", "traceparent", self.TRACE])

    def test_a_publish_to_nats_carries_its_headers_and_the_requests_traceparent(self):
        self.nats.subscribe("orders.>")
        url = "nats://127.0.0.1:%d" % self.nats.port
        with Server(self.write("{kind: nats, url: \"%s\"}" % url)) as s:
            got = self.publish(s, {"topic": "orders.north", "payload": "order 17", "headers": {"x-shop": "north"}})
            self.assertEqual(got, (200, {"published": True, "trace": self.TRACE}))
            self.assertEqual(self.nats.next_message(),
                             ("orders.north", {"x-shop": "north", "traceparent": self.TRACE}, b"order 17"))
            # A nats binding is a publisher only: asked for kv, the error names it and what it gives.
            status, _, answer = s.request("POST", "/", json.dumps({"op": "get", "key": "k"}),
                                          {"Content-Type": "application/json"})
            self.assertEqual(status, 500)
            self.assertIn("data binding 'store' gives publish, not a key-value store (kv)", answer.decode())
            status, got = self.publish(s, {"topic": "orders.x", "payload": "x", "headers": {"bad:name": "v"}})
            self.assertEqual(status, 503)
            self.assertIn("binding 'store' (nats, %s): publish to 'orders.x': header 'bad:name'" % url, got["error"])
        port = free_port()
        err = self.serve_fails(self.write("{kind: nats, url: \"nats://127.0.0.1:%d\"}" % port))
        self.assertIn("binding 'store' (nats, nats://127.0.0.1:%d): cannot connect" % port, err)
        err = self.serve_fails(self.write("{kind: nats, url: \"nats://u:hunter2@127.0.0.1:%d\"}" % port))
        self.assertIn("spec.dataBindings.store.url: credentials never go in function.yaml", err)
        self.assertNotIn("hunter2", err)

    def serve_fails(self, config, env=None):
        r = subprocess.run([NIMBUS, "serve", config, "--host", "127.0.0.1", "--port", "0", "--admin-port", "0"],
                           capture_output=True, text=True, timeout=120, env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")  # never said it was ready
        return r.stderr

    def test_a_redis_that_refuses_connections_stops_the_start_naming_the_binding(self):
        port = free_port()
        err = self.serve_fails(self.write("{kind: redis, url: \"redis://127.0.0.1:%d\"}" % port))
        self.assertIn("binding 'store' (redis, redis://127.0.0.1:%d): cannot connect" % port, err)

    def test_bad_binding_configuration_is_named(self):
        err = self.serve_fails(self.write("{kind: redis, url: \"redis://user:hunter2@127.0.0.1:6379\"}"))
        self.assertIn("spec.dataBindings.store.url", err)
        self.assertIn("credentials never go in function.yaml", err)
        self.assertNotIn("hunter2", err)
        err = self.serve_fails(self.write("{kind: redis, secret: hunter2}"))
        self.assertIn("spec.dataBindings.store.secret", err)
        self.assertNotIn("hunter2", err)
        env = {k: v for k, v in os.environ.items() if k != "NIMBUS_TEST_REDIS_PASSWORD"}
        err = self.serve_fails(self.write(self.redis_binding(", secret: {env: NIMBUS_TEST_REDIS_PASSWORD}")), env)
        self.assertIn("NIMBUS_TEST_REDIS_PASSWORD is not set", err)
        err = self.serve_fails(self.write("{kind: mongo}"))
        self.assertIn("unknown binding kind 'mongo' for 'store'", err)

    def test_a_password_from_the_environment_is_used_and_never_shown(self):
        # Every output of runs that used the secret: nimbus serve's ready line, log lines (at
        # debug), /metrics and /loglevel, a run-time error's answer, its tape; nimbus run's --json
        # output and tape; a replay's report and its junit, html and json files; a refused start.
        secret = "s3cret-redis-password-1234"
        locked = Redis()
        work = Path(tempfile.mkdtemp())
        try:
            locked.cli("CONFIG", "SET", "requirepass", secret)
            url = "redis://127.0.0.1:%d" % locked.port
            config = self.write("{kind: redis, url: \"%s\", secret: {env: NIMBUS_TEST_REDIS_PASSWORD}}" % url)
            env = dict(os.environ, NIMBUS_TEST_REDIS_PASSWORD=secret)
            outputs = []
            tape = work / "serve.tape"
            with Server(config, "--log-level", "debug", "--record", tape, env=env) as s:
                self.assertEqual(self.call(s, {"op": "increment", "key": "n"}), (200, {"value": 1}))
                locked.cli("-a", secret, "--no-auth-warning", "SET", "word", "ada")
                status, got = self.call(s, {"op": "increment", "key": "word"})  # fails at run time
                self.assertEqual(status, 503)
                self.assertIn("binding 'store' (redis, %s)" % url, got["error"])
                outputs += [json.dumps(got), s.admin("/metrics")[1], s.admin("/loglevel")[1], json.dumps(s.info)]
                s.stop()
                outputs += s.stderr_lines
            outputs.append(tape.read_text())
            events = work / "events"
            events.mkdir()
            (events / "visit.json").write_text(json.dumps({"body": {"op": "increment", "key": "n", "by": 2}}))
            run_tape = work / "run.tape"
            r = subprocess.run([NIMBUS, "run", config, "--event", events, "--json", "--log-level", "debug",
                                "--record", run_tape, "--bind", "store=redis:" + url],  # the secret is kept
                               capture_output=True, text=True, timeout=120, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('\\"value\\":3', r.stdout)  # it reached the locked server
            outputs += [r.stdout, r.stderr, run_tape.read_text()]
            reports = [work / "report.xml", work / "report.html", work / "report.json"]
            r = subprocess.run([NIMBUS, "replay", tape, "--function", config, "--junit", reports[0],
                                "--html", reports[1], "--json", reports[2]],
                               capture_output=True, text=True, timeout=120, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            outputs += [r.stdout, r.stderr] + [p.read_text() for p in reports]
            wrong = dict(os.environ, NIMBUS_TEST_REDIS_PASSWORD="wrong-password")
            err = self.serve_fails(config, wrong)
            self.assertIn("binding 'store'", err)
            self.assertIn("refused the password", err)
            self.assertNotIn("wrong-password", err)
            outputs.append(err)
            for text in outputs:
                self.assertNotIn(secret, text)
            self.assertTrue(all(outputs[:4]) and tape.stat().st_size > 0, "every output was read")
        finally:
            subprocess.run(["redis-cli", "-p", str(locked.port), "-a", secret, "--no-auth-warning", "SHUTDOWN", "NOSAVE"],
                           capture_output=True, timeout=10)
            locked.proc.wait(10)
            shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    unittest.main()
