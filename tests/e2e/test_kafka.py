"""kind: kafka-cluster against a real Kafka broker (KRaft, one node, from the
Maven jars scripts/setup.sh fetches), started once for this file on free
loopback ports and stopped by its process id. Messages are produced and
committed offsets read with confluent-kafka; the engine reads them with
Debian's librdkafka.

Run by ctest, or by hand:
NIMBUS=build/cli/nimbus NIMBUS_SOURCE_DIR=. .venv/bin/python -m unittest -v test_kafka
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

from brokers import Kafka, free_port
from test_streams import FLAT_MEMORY_ENV, StreamFunction, assert_memory_flat, handled, metric, ready_status, wait_for

EVENTS_200 = 'nimbus_events_total{trigger="orders",status="200"}'


class Lines:
    """Every line a process writes to a pipe, read as it comes (the pipe never fills)."""

    def __init__(self, pipe):
        self.lines = []
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe):
        for line in pipe:
            self.lines.append(line)

    def text(self):
        return "".join(self.lines)

    def wait(self, predicate, timeout=60):
        return wait_for(lambda: any(predicate(line) for line in list(self.lines)), timeout)


class KafkaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kafka = Kafka(partitions=2)
        cls.fn = StreamFunction()
        cls.tmp = Path(tempfile.mkdtemp())

    @classmethod
    def tearDownClass(cls):
        cls.kafka.stop()
        shutil.rmtree(cls.fn.dir)
        shutil.rmtree(cls.tmp)

    def trigger(self, topics, workers=1, brokers=None, **attributes):
        attributes = {"brokers": brokers or [self.kafka.bootstrap], "topics": topics, **attributes}
        return "    orders: {kind: kafka-cluster, numWorkers: %d, attributes: %s}\n" % (workers, json.dumps(attributes))

    def serve(self, config="function.yaml", env=None):
        return self.fn.started("serve", "--host", "127.0.0.1", "--admin-port", "0", "--log-level", "info",
                               config=config, env=env)

    def ready(self, proc):
        info = json.loads(proc.stdout.readline() or "null")
        self.assertIsNotNone(info, proc.stderr.read() if proc.poll() is not None else "no ready line")
        return info

    def stop(self, proc, lines):
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(60), 0, lines.text()[-3000:])
        lines.thread.join(10)
        return handled(lines.text())

    def test_every_field_of_a_message_reaches_the_handler_and_its_offset_is_committed(self):
        self.kafka.create_topic("fields", 2)
        sent_ms = int(time.time() * 1000)
        self.kafka.produce("fields", [(f"order {i}".encode(), f"k{i}".encode(), 1,
                                       {"Content-Type": "text/plain", "X-Key": f"v{i}"}) for i in range(3)]
                           + [(b"\x00\x01", None, 0, None)])
        self.fn.write(self.trigger(["fields"], consumerGroup="fields-group"))
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertEqual(info["triggers"][0]["consumerGroup"], "fields-group")
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) == 4), lines.text())
            self.assertEqual(ready_status(info["adminPort"]), 200)
            seen = self.stop(proc, lines)
        ones = sorted((s for s in seen if s["shard"] == 1), key=lambda s: s["offset"])
        self.assertEqual([s["body"] for s in ones], ["order 0", "order 1", "order 2"])
        first = ones[0]
        self.assertEqual((first["id"], first["kind"], first["trigger"], first["topic"], first["path"]),
                         ("fields-1-0", "kafka-cluster", "orders", "fields", "fields"))
        self.assertEqual((first["shards"], first["offset"], first["key"], first["contentType"]), (2, 0, "k0", "text/plain"))
        self.assertEqual(first["headers"], {"Content-Type": "text/plain", "X-Key": "v0"})
        self.assertLess(abs(first["timestampMs"] - sent_ms), 60_000)  # the broker's timestamp of the message
        zero = [s for s in seen if s["shard"] == 0]
        self.assertEqual(len(zero), 1)
        self.assertEqual(zero[0]["key"], "")
        # Committed past every message answered, per partition (at the stop at the latest).
        self.assertEqual(self.kafka.committed("fields-group", "fields", 2), [1, 3])

    def test_a_partition_runs_in_order_and_partitions_in_parallel(self):
        self.kafka.create_topic("ordered", 2)
        self.kafka.produce("ordered", [(f"{p}:{i}".encode(), None, p, {"X-Sleep": "5"})
                                       for i in range(30) for p in (0, 1)])
        self.fn.write(self.trigger(["ordered"], workers=2, consumerGroup="ordered-group", maxInFlight=16))
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) == 60), lines.text())
            seen = self.stop(proc, lines)
        for p in (0, 1):
            mine = [s for s in seen if s["shard"] == p]
            self.assertEqual([s["body"] for s in mine], [f"{p}:{i}" for i in range(30)])  # in offset order
            self.assertEqual(len({s["worker"] for s in mine}), 1)  # one lane: one worker
        self.assertEqual(len({s["worker"] for s in seen}), 2)  # the partitions ran on both workers

    def test_a_crash_is_not_committed_and_the_partition_is_read_again_from_it(self):
        self.kafka.create_topic("crashy", 1)
        marker = self.tmp / "crashed-once"
        self.kafka.produce("crashy", [(b"before", None, 0, None), (b"poison", None, 0, {"X-Crash-Once": str(marker)}),
                                      (b"after", None, 0, None)])
        self.fn.write(self.trigger(["crashy"], consumerGroup="crashy-group"))
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) >= 3), lines.text())
            seen = self.stop(proc, lines)
        self.assertTrue(marker.exists())
        self.assertIn("crashy[0] offset 1 answered 500: not committed", lines.text())
        bodies = [s["body"] for s in seen]
        self.assertEqual(bodies[0], "before")
        self.assertEqual(bodies[-2:], ["poison", "after"])  # read again from the crash, in order
        self.assertEqual(self.kafka.committed("crashy-group", "crashy", 1), [3])

    def test_a_sigkill_loses_nothing_committed_and_a_restart_handles_the_rest(self):
        self.kafka.create_topic("killed", 2)
        self.kafka.produce("killed", [(f"m{i}".encode(), None, i % 2, {"X-Sleep": "20"}) for i in range(60)])
        self.fn.write(self.trigger(["killed"], consumerGroup="killed-group", commitInterval="100ms"))
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) >= 15), lines.text())
            proc.kill()  # SIGKILL: no drain, no final commit
            proc.wait(30)
            lines.thread.join(10)
            first = {s["body"] for s in handled(lines.text())}
        committed = self.kafka.committed("killed-group", "killed", 2)
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            second = set()
            self.assertTrue(wait_for(lambda: {s["body"] for s in handled(lines.text())} | first
                                     >= {f"m{i}" for i in range(60)}), lines.text())
            second = {s["body"] for s in self.stop(proc, lines)}
        self.assertEqual(first | second, {f"m{i}" for i in range(60)})  # every message at least once
        # What was committed before the kill was not handled again.
        done_before = {f"m{2 * i + p}" for p in (0, 1) for i in range(max(committed[p], 0))}
        self.assertFalse(done_before & second, (committed, sorted(done_before & second)))
        self.assertEqual(self.kafka.committed("killed-group", "killed", 2), [30, 30])

    def test_explicit_only_commits_what_the_function_acknowledged_and_no_more(self):
        self.kafka.create_topic("explicit", 1)
        self.kafka.produce("explicit", [(b"m0", None, 0, None), (b"m1", None, 0, None)])
        self.fn.write(self.trigger(["explicit"], consumerGroup="explicit-group", explicitAckMode="explicitOnly"))
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertEqual(info["triggers"][0]["explicitAckMode"], "explicitOnly")
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) == 2), lines.text())
            first = [s["body"] for s in self.stop(proc, lines)]
        self.assertEqual(first, ["m0", "m1"])
        self.assertEqual(self.kafka.committed("explicit-group", "explicit", 1), [-1001])  # answered, not acknowledged
        self.kafka.produce("explicit", [(b"m2", None, 0, {"X-Ack": "1"})])
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) == 3), lines.text())
            second = [s["body"] for s in self.stop(proc, lines)]
        self.assertEqual(second, ["m0", "m1", "m2"])  # read again: nothing was committed
        self.assertEqual(self.kafka.committed("explicit-group", "explicit", 1), [3])  # m2's ack covers all three

    def test_a_flood_with_a_slow_handler_keeps_memory_flat(self):
        self.kafka.create_topic("flood", 2)
        total = 4000  # 100 MB of messages
        self.kafka.produce("flood", [(b"x" * 25_000, None, i % 2, {"X-Sleep": "1"}) for i in range(total)])
        self.fn.write(self.trigger(["flood"], workers=2, consumerGroup="flood-group"))
        with self.serve(env=FLAT_MEMORY_ENV) as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            assert_memory_flat(self, proc, info["adminPort"], total)
            proc.kill()

    def test_a_backlog_far_larger_than_the_fetch_queue_is_read_through_each_message_once(self):
        # The fetch queue fills and empties again and again, and the trigger wakes librdkafka's
        # fetcher each time it was emptied (restart_fetcher: a seek to the next offset): nothing
        # may be skipped or read twice across those seeks.
        self.kafka.create_topic("backlog", 2)
        total = 240_000
        from confluent_kafka import Producer
        producer = Producer(self.kafka.client_config(**{"linger.ms": 20, "batch.num.messages": 10000,
                                                          "queue.buffering.max.messages": 1000000}))
        for i in range(total):
            producer.produce("backlog", b"%09d" % i + b"x" * 91, partition=i % 2)
            if i % 10000 == 0:
                producer.poll(0)
        self.assertEqual(producer.flush(60), 0)
        self.fn.write(self.trigger(["backlog"], workers=2, consumerGroup="backlog-group", fetchQueueBytes=1 << 20))
        with self.fn.started("serve", "--host", "127.0.0.1", "--admin-port", "0", "--log-level", "warn") as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            answered = lambda: metric(info["adminPort"], EVENTS_200)
            self.assertTrue(wait_for(lambda: answered() >= total, timeout=120), answered())
            time.sleep(0.5)
            self.assertEqual(answered(), total)  # none read twice
            self.stop(proc, lines)
        self.assertEqual(self.kafka.committed("backlog-group", "backlog", 2), [total // 2, total // 2])

    def test_two_engines_in_one_consumer_group_share_the_topic_each_message_once(self):
        self.kafka.create_topic("shared", 2)
        self.fn.write(self.trigger(["shared"], consumerGroup="shared-group"), "a.yaml")
        self.fn.write(self.trigger(["shared"], consumerGroup="shared-group"), "b.yaml")
        with self.serve("a.yaml") as a, self.serve("b.yaml") as b:
            admins = [self.ready(p)["adminPort"] for p in (a, b)]
            lines = [Lines(p.stderr) for p in (a, b)]
            # Both hold a partition before anything is produced: a clean split, no rebalance mid-run.
            for l in lines:
                self.assertTrue(l.wait(lambda line: "assigned shared[" in line), "".join(x.text() for x in lines))
            self.kafka.produce("shared", [(f"job {i}".encode(), None, i % 2, None) for i in range(100)])
            answered = lambda: sum(metric(port, EVENTS_200) for port in admins)
            self.assertTrue(wait_for(lambda: answered() >= 100))
            time.sleep(0.3)
            self.assertEqual(answered(), 100)
            bodies = [s["body"] for p, l in zip((a, b), lines) for s in self.stop(p, l)]
        self.assertEqual(sorted(bodies), sorted(f"job {i}" for i in range(100)))

    def test_a_broker_that_goes_away_mid_run_is_said_and_the_stream_resumes_where_it_was_committed(self):
        self.kafka.create_topic("outage", 1)
        self.kafka.produce("outage", [f"before {i}".encode() for i in range(10)])
        self.fn.write(self.trigger(["outage"], consumerGroup="outage-group", commitInterval="100ms"))
        with self.serve() as proc:
            info = self.ready(proc)
            admin = info["adminPort"]
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(admin, EVENTS_200) == 10), lines.text())
            self.assertTrue(wait_for(lambda: self.kafka.committed("outage-group", "outage", 1) == [10]))
            self.kafka.halt()
            try:
                self.assertTrue(lines.wait(lambda l: "cannot reach" in l, timeout=60), lines.text())
                self.assertEqual(ready_status(admin), 503)
            finally:
                self.kafka.resume()
            self.assertTrue(lines.wait(lambda l: "reconnected" in l, timeout=60), lines.text())
            self.assertTrue(wait_for(lambda: ready_status(admin) == 200, timeout=30))
            self.kafka.produce("outage", [f"after {i}".encode() for i in range(10)])
            self.assertTrue(wait_for(lambda: metric(admin, EVENTS_200) == 20, timeout=60), lines.text())
            seen = [s["body"] for s in self.stop(proc, lines)]
        # Each message once: what was committed before the outage was not read again.
        self.assertEqual(seen, [f"before {i}" for i in range(10)] + [f"after {i}" for i in range(10)])
        self.assertEqual(self.kafka.committed("outage-group", "outage", 1), [20])

    def test_an_oversize_message_is_refused_with_a_reason_and_the_partition_goes_on(self):
        self.kafka.create_topic("big", 1)
        self.kafka.produce("big", [b"x" * 300, b"small", b"not json"])
        self.fn.write(self.trigger(["big"], consumerGroup="big-group", maxBodySize=100))
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) == 2), lines.text())
            seen = [s["body"] for s in self.stop(proc, lines)]
        self.assertEqual(seen, ["small", "not json"])
        self.assertIn("message big-0-0 of 300 bytes is over the 100-byte limit: committed and not run", lines.text())
        self.assertEqual(self.kafka.committed("big-group", "big", 1), [3])

    def test_the_emulator_runs_the_same_trigger(self):
        self.kafka.create_topic("emulated", 1)
        self.kafka.produce("emulated", [(b"hi", b"k", 0, None)])
        self.fn.write(self.trigger(["emulated"], consumerGroup="emulated-group"))
        with self.fn.started("run", "--json") as proc:
            ready = json.loads(proc.stdout.readline() or "null")
            self.assertEqual(ready["triggers"][0]["kind"], "kafka-cluster")
            line = {}
            while line.get("type") != "response":
                line = json.loads(proc.stdout.readline())
            self.assertEqual(json.loads(line["body"])["id"], "emulated-0-0")
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(30), 0)
        self.assertEqual(self.kafka.committed("emulated-group", "emulated", 1), [1])

    def test_brokers_down_at_start_are_said_once_and_the_trigger_is_not_ready(self):
        port = free_port()
        self.fn.write(self.trigger(["nowhere"], brokers=[f"127.0.0.1:{port}"]))
        with self.serve() as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertEqual(ready_status(info["adminPort"]), 503)
            self.assertTrue(lines.wait(lambda line: "cannot reach" in line, timeout=20), lines.text())
            time.sleep(3)  # librdkafka retries meanwhile
            self.assertEqual(ready_status(info["adminPort"]), 503)
            self.stop(proc, lines)
        said = [l for l in lines.lines if "cannot reach" in l]
        self.assertEqual(len(said), 1, lines.text())
        self.assertIn(f"kafka-cluster trigger 'orders': cannot reach 127.0.0.1:{port}", said[0])

    def sasl_trigger(self, topic, password_env):
        return self.trigger([topic], brokers=[f"127.0.0.1:{self.kafka.sasl_port}"], consumerGroup=f"{topic}-group",
                            sasl={"enable": True, "user": Kafka.SASL_USER, "password": {"env": password_env},
                                  "mechanism": "PLAIN"})

    def test_sasl_credentials_from_the_environment_reach_the_broker_and_never_the_logs(self):
        self.kafka.create_topic("secured", 2)
        self.kafka.produce("secured", [(b"over sasl", None, 0, None)])
        self.fn.write(self.sasl_trigger("secured", "NIMBUS_TEST_KAFKA_PASSWORD"))
        env = {**os.environ, "NIMBUS_TEST_KAFKA_PASSWORD": Kafka.SASL_PASSWORD}
        with self.serve(env=env) as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) == 1, timeout=60), lines.text())
            seen = self.stop(proc, lines)
        self.assertEqual([s["body"] for s in seen], ["over sasl"])
        self.assertNotIn(Kafka.SASL_PASSWORD, lines.text() + json.dumps(info))

    def test_a_wrong_sasl_password_is_said_once_and_the_trigger_is_not_ready(self):
        self.kafka.create_topic("refused", 1)
        self.fn.write(self.sasl_trigger("refused", "NIMBUS_TEST_KAFKA_PASSWORD"))
        env = {**os.environ, "NIMBUS_TEST_KAFKA_PASSWORD": "not-the-password"}
        with self.serve(env=env) as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(lines.wait(lambda line: "uthentication" in line, timeout=60), lines.text())
            time.sleep(3)  # librdkafka retries meanwhile: each refusal the same, said once
            self.assertEqual(ready_status(info["adminPort"]), 503)
            self.stop(proc, lines)
        text = lines.text()
        self.assertIn("kafka-cluster trigger 'orders'", text)
        self.assertEqual(sum("uthentication" in line for line in text.splitlines()), 1, text)
        self.assertNotIn("not-the-password", text)

    def test_tls_with_the_brokers_ca_certificate_and_a_refusal_without_it(self):
        self.kafka.create_topic("encrypted", 2)
        self.kafka.produce("encrypted", [(b"over tls", None, 1, None)])
        tls = lambda config, **attrs: self.fn.write(self.trigger(
            ["encrypted"], brokers=[f"127.0.0.1:{self.kafka.tls_port}"], consumerGroup="encrypted-group",
            tls={"enable": True}, **attrs), config)
        tls("tls.yaml", caCert={"file": str(self.kafka.ca_file)})
        with self.serve("tls.yaml") as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(wait_for(lambda: metric(info["adminPort"], EVENTS_200) == 1, timeout=60), lines.text())
            self.assertEqual([s["body"] for s in self.stop(proc, lines)], ["over tls"])
        tls("untrusted.yaml")  # the system's CAs do not know a self-signed broker
        with self.serve("untrusted.yaml") as proc:
            info = self.ready(proc)
            lines = Lines(proc.stderr)
            self.assertTrue(lines.wait(lambda line: "certificate verify failed" in line, timeout=60), lines.text())
            time.sleep(3)  # librdkafka retries meanwhile: each refusal the same, said once
            self.assertEqual(ready_status(info["adminPort"]), 503)
            self.stop(proc, lines)
        self.assertEqual(lines.text().count("the TLS handshake failed"), 1, lines.text())

    def test_a_kafka_binding_publishes_with_headers_and_the_traceparent_over_sasl_and_never_shows_the_password(self):
        from confluent_kafka import Consumer
        from test_bindings import STORE
        from test_serve import Server
        self.kafka.create_topic("published", 1)
        folder = self.tmp / "publisher"
        folder.mkdir()
        (folder / "store.cpp").write_text(STORE)
        binding = {"kind": "kafka", "secret": {"env": "NIMBUS_TEST_KAFKA_PASSWORD"},
                   "attributes": {"brokers": [f"127.0.0.1:{self.kafka.sasl_port}"],
                                  "sasl": {"enable": True, "user": Kafka.SASL_USER, "mechanism": "PLAIN"}}}
        config = folder / "function.yaml"
        config.write_text("metadata: {name: store}\nspec:\n  handler: store:store\n  build: {sources: [store.cpp]}\n"
                          f"  dataBindings:\n    out: {json.dumps(binding)}\n"
                          "  triggers:\n    web: {kind: http, attributes: {port: 0}}\n")
        r = subprocess.run([os.environ["NIMBUS"], "build", config], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        saved = dict(os.environ)
        os.environ["NIMBUS_TEST_KAFKA_PASSWORD"] = Kafka.SASL_PASSWORD  # Server inherits the environment
        try:
            with Server(config) as s:
                for i in range(3):
                    body = {"op": "publish", "binding": "out", "topic": "published", "payload": f"order {i}",
                            "headers": {"x-n": str(i)}}
                    status, _, answer = s.request("POST", "/", json.dumps(body),
                                                  {"Content-Type": "application/json", "traceparent": trace})
                    self.assertEqual((status, json.loads(answer)), (200, {"published": True, "trace": trace}))
                body = {"op": "publish", "binding": "out", "topic": "published", "payload": "untraced"}
                self.assertEqual(s.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})[0], 200)
                s.stop()
                outputs = "".join(s.stderr_lines) + json.dumps(s.info)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.assertNotIn(Kafka.SASL_PASSWORD, outputs)
        consumer = Consumer(self.kafka.client_config(**{"group.id": "published-reader", "auto.offset.reset": "earliest"}))
        try:
            consumer.subscribe(["published"])
            got, deadline = [], time.monotonic() + 60
            while len(got) < 4 and time.monotonic() < deadline:
                m = consumer.poll(1)
                if m is not None and m.error() is None:
                    got.append((m.value(), [(k, v.decode()) for k, v in m.headers() or []]))
        finally:
            consumer.close()
        self.assertEqual(got, [(f"order {i}".encode(), [("x-n", str(i)), ("traceparent", trace)]) for i in range(3)]
                         + [(b"untraced", [])])
        # Brokers that are not there stop the start, naming the binding.
        port = free_port()
        binding = {"kind": "kafka", "attributes": {"brokers": [f"127.0.0.1:{port}"], "deliveryTimeoutMs": 2000}}
        config.write_text("metadata: {name: store}\nspec:\n  handler: store:store\n  build: {sources: [store.cpp]}\n"
                          f"  dataBindings:\n    out: {json.dumps(binding)}\n"
                          "  triggers:\n    web: {kind: http, attributes: {port: 0}}\n")
        r = subprocess.run([os.environ["NIMBUS"], "serve", config, "--host", "127.0.0.1", "--port", "0",
                            "--admin-port", "0"], capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")
        self.assertIn(f"binding 'out' (kafka, 127.0.0.1:{port}): cannot reach the brokers", r.stderr)

    def test_bad_configuration_is_an_error_naming_the_field(self):
        for attributes, expected in [
            ({"topics": ["t"]}, "spec.triggers.orders.attributes.brokers: missing"),
            ({"brokers": ["127.0.0.1:1"]}, "spec.triggers.orders.attributes.topics: missing"),
            ({"brokers": "user:secret@host:1", "topics": "t"}, "credentials never go in function.yaml"),
            ({"brokers": ["host"], "topics": "t"}, "expected host:port, got 'host'"),
            ({"brokers": ["h:1"], "topics": "t", "initialOffset": "middle"}, "initialOffset: expected earliest or latest"),
            ({"brokers": ["h:1"], "topics": "t", "sessionTimeout": "soon"}, "attributes.sessionTimeout"),
            ({"brokers": ["h:1"], "topics": "t", "sasl": {"enable": True, "user": "u", "password": "secret"}},
             "attributes.sasl.password: expected {env: NAME} or {file: path}"),
            ({"brokers": ["h:1"], "topics": "t", "sasl": {"enable": True, "password": {"env": "NIMBUS_UNSET_X"}}},
             "attributes.sasl.password: the environment variable NIMBUS_UNSET_X is not set"),
            ({"brokers": ["h:1"], "topics": "t", "sasl": {"enable": True}}, "attributes.sasl.user: missing"),
            ({"brokers": ["h:1"], "topics": "t", "sasl": {"user": "u", "mechanism": "GSSAPI"}},
             "attributes.sasl.mechanism: expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"),
            ({"brokers": ["h:1"], "topics": "t", "tls": {"enable": "yes"}}, "attributes.tls.enable: expected true or false"),
        ]:
            self.fn.write("    orders: {kind: kafka-cluster, attributes: %s}\n" % json.dumps(attributes), "bad.yaml")
            with self.serve("bad.yaml") as proc:
                self.assertNotEqual(proc.wait(60), 0)
                err = proc.stderr.read()
            self.assertIn(expected, err)
            self.assertNotIn("secret", err.replace("secrets never", ""))


if __name__ == "__main__":
    unittest.main()
