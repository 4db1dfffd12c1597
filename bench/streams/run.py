#!/usr/bin/env python3
"""bench/streams: events/s from Kafka, NATS and Redis Streams into a trivial
C++ handler through `nimbus serve`, beside a plain client of the same library
(plain_consumer.cpp: librdkafka, cnats, hiredis) consuming the same broker in
the same run, alternating, round by round. Prints the medians and the ratio
nimbus/plain (target: at least 0.80).

The plain client reads what the trigger reads of each message (Kafka: payload, key,
timestamp and headers; NATS: payload and headers) and acknowledges it as the trigger does.
For Kafka and NATS a third side, "bare", runs the same client without reading headers (the
library at its very fastest: librdkafka 2.0 allocates and frees a parse buffer per message
on the first look at its headers, even when it has none), and its ratio is printed too.

Each round gets a fresh topic, stream or subject with N messages of 100 bytes:
Kafka and Redis read a backlog produced before the consumer starts (2 Kafka
partitions); NATS core has no backlog, so its consumer subscribes first and a
cnats publisher then sends N as fast as it can (the trigger's pendingMessages
and pendingBytes hold the whole burst: nothing dropped). The plain Kafka client
prefetches without bound (queued.min.messages 10M, 256 MB), the fastest librdkafka
reads: with its defaults it stalls on a backlog larger than its prefetch queue
(librdkafka issue 2879, which the trigger works around). A plain client's rate is
N over the time from its first message to its last; nimbus's is the events
handled between the first and the last reading of the admin port's /metrics
(every 20 ms) that saw any, over the time between them.

    .venv/bin/python bench/streams/run.py [--build build] [--messages 1000000] [--rounds 3]
        [--sources kafka,nats,redis] [--workers 2] [--baseline OTHER/cli/nimbus]

With --baseline, another nimbus build (labelled "base") runs in every round too, between
the plain client and this build, and base/nimbus is printed: a change measured against the
build before it on the same broker, in the same run.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from brokers import Kafka, Nats, Redis  # noqa: E402

HANDLER = """\
#include <nimbus/nimbus.hpp>
std::string ok(nimbus::Context&, const nimbus::Event&) { return "ok"; }
NIMBUS_FUNCTION(ok)
"""


def events_total(admin_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=10) as r:
        total = 0.0
        for line in r.read().decode().splitlines():
            if line.startswith("nimbus_events_total{"):
                total += float(line.split()[-1])
        return total


def ready(admin_port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/ready", timeout=10).status == 200
    except urllib.error.HTTPError:
        return False


class Bench:
    def __init__(self, args, nimbus=None):
        self.args = args
        self.nimbus = nimbus or str(Path(args.build) / "cli" / "nimbus")
        self.plain = str(Path(args.build) / "bench" / "streams" / "plain_consumer")
        self.dir = Path(tempfile.mkdtemp(prefix="nimbus-bench-streams-"))
        (self.dir / "ok.cpp").write_text(HANDLER)
        self.write("    web: {kind: http, attributes: {port: 0}}\n")
        r = subprocess.run([self.nimbus, "build", self.dir / "function.yaml"], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("nimbus build failed: " + r.stderr)

    def extra(self):
        return f", maxInFlight: {self.args.in_flight}" if self.args.in_flight else ""

    def write(self, trigger):
        (self.dir / "function.yaml").write_text(
            "metadata: {name: ok}\nspec:\n  handler: ok:ok\n  build: {sources: [ok.cpp]}\n  triggers:\n" + trigger)

    def serve_until(self, trigger, n, load=None):
        """Starts `nimbus serve` on `trigger`, runs `load` once it is ready, and returns N/seconds."""
        self.write(trigger)
        proc = subprocess.Popen([self.nimbus, "serve", self.dir / "function.yaml", "--host", "127.0.0.1",
                                 "--admin-port", "0", "--log-level", "warn"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=self.dir)
        try:
            admin = json.loads(proc.stdout.readline())["adminPort"]
            deadline = time.monotonic() + 60
            while not ready(admin):
                if time.monotonic() > deadline:
                    raise SystemExit("nimbus serve never got ready")
                time.sleep(0.05)
            if load:
                load()
            first = last = None  # (time, events) of the first reading that saw events, and of the last new one
            count = 0.0
            deadline = time.monotonic() + 300
            while count < n and time.monotonic() < deadline:
                now = time.monotonic()
                count = events_total(admin)
                if count > 0 and first is None:
                    first = (now, count)
                if count > 0 and (last is None or count > last[1]):
                    last = (now, count)
                if last is not None and now - last[0] > 2:  # stalled: messages were dropped (NATS, slow consumer)
                    break
                time.sleep(0.02)  # more often, and the reading itself takes a share of the two cores
            if first is None or last[0] <= first[0]:
                return 0.0, count
            return (last[1] - first[1]) / (last[0] - first[0]), count
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()

    def plain_run(self, argv, load=None, bare=False):
        proc = subprocess.Popen([self.plain, *(["--bare"] if bare else []), *map(str, argv)],
                                stdout=subprocess.PIPE, text=True)
        if load:
            assert proc.stdout.readline().strip() == "subscribed"
            load()
        out = json.loads(proc.stdout.readline())
        proc.wait(60)
        return out["messages"] / out["seconds"] if out["seconds"] > 0 else 0.0, out["messages"]

    def kafka(self, broker, round_, n, side, label=None):
        topic = f"bench-{label or side}-{round_}"
        broker.create_topic(topic, 2)
        self.fill_kafka(broker, topic, n)
        if side != "nimbus":
            return self.plain_run(["kafka", broker.bootstrap, topic, f"g-{topic}", n], bare=side == "bare")
        trigger = ("    s: {kind: kafka-cluster, numWorkers: %d, attributes: {brokers: [%s], topics: [%s], "
                   "consumerGroup: g-%s%s}}\n" % (self.args.workers, broker.bootstrap, topic, topic, self.extra()))
        return self.serve_until(trigger, n)

    @staticmethod
    def fill_kafka(broker, topic, n):
        from confluent_kafka import Producer
        p = Producer(broker.client_config(**{"linger.ms": 20, "batch.num.messages": 10000,
                                             "queue.buffering.max.messages": 1000000}))
        body = b"x" * 100
        for i in range(n):
            p.produce(topic, body, partition=i % 2)
            if i % 10000 == 0:
                p.poll(0)
        p.flush(120)

    def redis(self, broker, round_, n, side, label=None):
        stream = f"bench-{label or side}-{round_}"
        subprocess.run([self.plain, "redis-fill", "127.0.0.1", str(broker.port), stream, str(n)], check=True)
        try:
            if side == "plain":
                return self.plain_run(["redis", "127.0.0.1", broker.port, stream, "g", n])
            trigger = ('    s: {kind: redis-stream, url: "redis://127.0.0.1:%d", numWorkers: %d, '
                       "attributes: {stream: %s, consumerGroup: g%s}}\n" % (broker.port, self.args.workers, stream,
                                                                            self.extra()))
            return self.serve_until(trigger, n)
        finally:
            broker.cli("DEL", stream)  # a million entries each: the server's memory is not the bench's to fill

    def nats(self, broker, round_, n, side, label=None):
        subject = f"bench.{label or side}.{round_}"
        url = f"nats://127.0.0.1:{broker.port}"
        load = lambda: subprocess.run([self.plain, "nats-publish", url, subject, str(n)], check=True)
        if side != "nimbus":
            return self.plain_run(["nats", url, subject, n], load, bare=side == "bare")
        # Pending limits that hold the whole burst: NATS core drops what a slow subscriber cannot
        # hold, and a rate of what was left would not be a rate of the same work.
        trigger = ('    s: {kind: nats, url: "%s", numWorkers: %d, attributes: {topic: %s, pendingMessages: %d, '
                   'pendingBytes: 1073741824%s}}\n' % (url, self.args.workers, subject, n + 1, self.extra()))
        return self.serve_until(trigger, n, load)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sources", default="kafka,nats,redis")
    parser.add_argument("--in-flight", type=int, default=0, help="the triggers' maxInFlight (default: theirs)")
    parser.add_argument("--baseline", help="another build's nimbus, measured in every round too ('base')")
    args = parser.parse_args()
    bench = Bench(args)
    base = Bench(args, str(Path(args.baseline).resolve())) if args.baseline else None  # its own function dir
    brokers = {"kafka": Kafka, "nats": Nats, "redis": Redis}
    print(f"nimbus bench/streams: {args.messages:,} messages of 100 bytes, trivial C++ handler, "
          f"{args.workers} worker processes, {os.cpu_count()} cores, medians of {args.rounds} rounds")
    try:
        for source in args.sources.split(","):
            broker = brokers[source]()
            try:
                sides = ("plain",) + (("base",) if base else ()) + ("nimbus",) + (("bare",) if source != "redis" else ())
                rates = {side: [] for side in sides}
                delivered = {side: [] for side in sides}
                for r in range(args.rounds):
                    for side in sides:  # alternating, so drift hits each
                        runner, as_side = (base, "nimbus") if side == "base" else (bench, side)
                        rate, got = getattr(runner, source)(broker, r, args.messages, as_side, side)
                        rates[side].append(rate)
                        delivered[side].append(int(got))
                plain, nimbus = statistics.median(rates["plain"]), statistics.median(rates["nimbus"])
                print(f"{source:6}  plain client {plain:12,.0f} msg/s   nimbus serve {nimbus:12,.0f} events/s   "
                      f"ratio {nimbus / plain if plain else 0:5.2f}   (per round: "
                      + ", ".join(f"{b / a:.2f}" if a else "-" for a, b in zip(rates["plain"], rates["nimbus"]))
                      + f"; delivered plain {min(delivered['plain']):,} nimbus {min(delivered['nimbus']):,} "
                        f"of {args.messages:,})", flush=True)
                if "base" in rates:
                    b = statistics.median(rates["base"])
                    print(f"{'':6}  base build   {b:12,.0f} events/s   nimbus/base {nimbus / b if b else 0:5.2f}   "
                          "(per round: " + ", ".join(f"{y / x:.2f}" if x else "-"
                                                     for x, y in zip(rates["base"], rates["nimbus"])) + ")",
                          flush=True)
                if "bare" in rates:
                    bare = statistics.median(rates["bare"])
                    print(f"{'':6}  bare client  {bare:12,.0f} msg/s   (no headers read)   "
                          f"ratio {nimbus / bare if bare else 0:5.2f}   (per round: "
                          + ", ".join(f"{b / a:.2f}" if a else "-" for a, b in zip(rates["bare"], rates["nimbus"]))
                          + ")", flush=True)
            finally:
                broker.stop()
    finally:
        shutil.rmtree(bench.dir, ignore_errors=True)
        if base:
            shutil.rmtree(base.dir, ignore_errors=True)
    print("target: nimbus at least 0.80 of the plain client")


if __name__ == "__main__":
    main()
