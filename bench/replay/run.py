#!/usr/bin/env python3
"""bench/replay: what recording costs the engine, how fast tapes replay, and
whether replay memory stays flat as the tape grows. All with the trivial
`ping` function beside this script (one log record, one binding call).

    bench/replay/run.py [--nimbus build/cli/nimbus] [--baseline OTHER/nimbus] [--rounds 3]
                        [--records 100000] [--duration 5]

1. Recording in the engine: wrk against `nimbus serve` (one worker process,
   32 connections) with and without `--record`, rounds alternating; the loss
   is 1 - median(with) / median(without). Target: at most 10%.
2. Replay speed: a tape of `--records` events (recorded by `nimbus run`),
   replayed and compared in the emulator and through `--engine` (one and two
   workers). Baseline in the same run: `nimbus run` handling the same events
   without recording or comparing. Targets: 100,000 records/s in the
   emulator, half of that through the engine.
3. Memory: the largest resident size of a replay of half the tape and of the
   whole tape.

With --baseline, every figure is measured for both builds, side by side in
each round (the baseline's ping is built from a copy, so neither build
rebuilds the other's), and printed for each with the ratio new/base.

Needs wrk (scripts/setup.sh installs it). Prints medians; never asserts.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PING = Path(__file__).resolve().parent / "ping" / "function.yaml"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd):
    """Runs cmd; returns (seconds, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{out}\n{err}")
    return seconds, out


def replay_rss(cmd):
    """The peak resident size (MiB) of a replay's own process (VmHWM, sampled until it exits)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = max(peak, int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)))
        except (OSError, AttributeError):
            pass
        time.sleep(0.01)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode})")
    return peak / 1024


def cpu_seconds(pids):
    """User + system CPU time of processes so far (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wrk(port, duration, pids):
    """Requests/s, and the server's CPU µs per request (processor and workers)."""
    before = cpu_seconds(pids)
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", f"http://127.0.0.1:{port}/bench"],
                         capture_output=True, text=True, check=True).stdout
    used = cpu_seconds(pids) - before
    if "Non-2xx" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), used / requests * 1e6


def children(pid):
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def serve(nimbus, ping, tape=None):
    port, admin = free_port(), free_port()
    args = [nimbus, "serve", str(ping), "--host", "127.0.0.1", "--port", str(port), "--admin-port", str(admin),
            "--workers", "1", "--log-level", "info"]
    if tape:
        args += ["--record", str(tape)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("nimbus serve did not start")
    return proc, json.loads(line)["port"]


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


class Build:
    """One nimbus build under test, with its own copy of the ping function."""

    def __init__(self, label, nimbus, ping):
        self.label, self.nimbus, self.ping = label, nimbus, ping
        self.plain, self.recording, self.devnull = [], [], []
        self.rates = {}


def recording_figures(b, tmp):
    recorded_lines = sum(1 for _ in open(tmp / f"recorded-{b.label}.ndjson")) - 1
    p = statistics.median(x[0] for x in b.plain)
    r = statistics.median(x[0] for x in b.recording)
    n = statistics.median(x[0] for x in b.devnull)
    pc = statistics.median(x[1] for x in b.plain)
    rc = statistics.median(x[1] for x in b.recording)
    nc = statistics.median(x[1] for x in b.devnull)
    print(f"   [{b.label}] {b.nimbus}")
    print(f"   without --record  {p:>10,.0f} req/s   {pc:6.1f} µs CPU per request (processor + worker)")
    print(f"   with --record     {r:>10,.0f} req/s   {rc:6.1f} µs CPU per request"
          f"   ({recorded_lines:,} records in the last tape)")
    print(f"   loss              {100 * (1 - r / p):>9.1f} %     CPU per request +{100 * (rc / pc - 1):.1f} %"
          f"   (target: at most 10 % loss)")
    # Each round runs them side by side: the loss within each round shows the machine's noise.
    losses = sorted(100 * (1 - y[0] / x[0]) for x, y in zip(b.plain, b.recording))
    print(f"   loss per round    {', '.join(f'{x:.1f}' for x in losses)} %"
          f"   (median {statistics.median(losses):.1f} %)")
    # The same records written to /dev/null: what the file system's share is.
    print(f"   --record /dev/null {n:>9,.0f} req/s   {nc:6.1f} µs CPU per request"
          f"   loss {100 * (1 - n / p):.1f} % (encoding and transport, no file system)")
    return p, r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nimbus", default=str(ROOT / "build" / "cli" / "nimbus"))
    ap.add_argument("--baseline", help="another nimbus build to measure side by side (labelled 'base')")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--skip-record", action="store_true", help="only the replay figures")
    ap.add_argument("--skip-replay", action="store_true", help="only the recording figures")
    a = ap.parse_args()
    if not a.skip_record and shutil.which("wrk") is None:
        sys.exit("bench/replay needs wrk (scripts/setup.sh installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="nimbus-bench-replay-"))
    try:
        builds = [Build("new", a.nimbus, PING)]
        if a.baseline:
            shutil.copytree(PING.parent, tmp / "ping-base", ignore=shutil.ignore_patterns(".nimbus"))
            builds.insert(0, Build("base", a.baseline, tmp / "ping-base" / "function.yaml"))
        events = tmp / "events.ndjson"
        events.write_text("".join(json.dumps({"path": f"/p{i % 100}"}) + "\n" for i in range(a.records)))
        small = tmp / "small.ndjson"
        small.write_text("".join(json.dumps({"path": f"/p{i % 100}"}) + "\n" for i in range(a.records // 2)))
        for b in builds:
            # Build both flavours of ping first, so no round pays for a build.
            b.tape, b.small_tape = tmp / f"tape-{b.label}.ndjson", tmp / f"small-tape-{b.label}.ndjson"
            timed([b.nimbus, "run", b.ping, "--event", small, "--record", b.small_tape])
            timed([b.nimbus, "replay", b.small_tape, "--function", b.ping])

        print(f"nimbus bench/replay: ping function, {os.cpu_count()} cores, medians of {a.rounds} rounds\n")
        if not a.skip_record:
            for _ in range(a.rounds):
                for b in builds:
                    for target, into in ((None, b.plain), (tmp / f"recorded-{b.label}.ndjson", b.recording),
                                         (Path("/dev/null"), b.devnull)):
                        proc, port = serve(b.nimbus, b.ping, target)
                        try:
                            time.sleep(0.3)
                            into.append(wrk(port, a.duration, [proc.pid, *children(proc.pid)]))
                        finally:
                            stop(proc)
            print("1. recording in the engine (1 worker process, 32 connections, wrk on the same cores)")
            figures = [recording_figures(b, tmp) for b in builds]
            if len(figures) == 2:
                (bp, br), (np_, nr) = figures
                print(f"   new/base          without --record {np_ / bp:.3f}   with --record {nr / br:.3f}")
            print()

        if a.skip_replay:
            return
        names = ["nimbus run, no recording (baseline)", "replay, emulator", "replay, --engine, 1 worker",
                 "replay, --engine, 2 workers"]
        for b in builds:
            timed([b.nimbus, "run", b.ping, "--event", events, "--record", b.tape])
            b.runs = dict(zip(names, [
                [b.nimbus, "run", b.ping, "--event", events],
                [b.nimbus, "replay", b.tape, "--function", b.ping],
                [b.nimbus, "replay", b.tape, "--function", b.ping, "--engine", "--workers", "1"],
                [b.nimbus, "replay", b.tape, "--function", b.ping, "--engine", "--workers", "2"]]))
            b.rates = {name: [] for name in names}
        for _ in range(a.rounds):
            for name in names:
                for b in builds:
                    seconds, out = timed(b.runs[name])
                    if "replay" in name and f"{a.records} records: {a.records} passed" not in out:
                        raise RuntimeError(f"[{b.label}] {name}: not every record passed:\n{out[-500:]}")
                    b.rates[name].append(a.records / seconds)
        print(f"2. replaying and comparing {a.records:,} records (whole command, build excluded)")
        for b in builds:
            base = statistics.median(b.rates[names[0]])
            for name in names:
                m = statistics.median(b.rates[name])
                vs = ""
                if len(builds) == 2 and b.label == "new":
                    vs = f"   new/base {m / statistics.median(builds[0].rates[name]):.3f}"
                print(f"   [{b.label}] {name:<38} {m:>10,.0f} records/s   {m / base:5.2f}× its run{vs}")
        print("   targets: emulator 100,000 records/s, --engine 50,000 records/s\n")

        print("3. memory (largest resident size)")
        for b in builds:
            for name, extra in (("emulator", []), ("--engine, 2 workers", ["--engine", "--workers", "2"])):
                low = replay_rss([b.nimbus, "replay", b.small_tape, "--function", b.ping, *extra])
                high = replay_rss([b.nimbus, "replay", b.tape, "--function", b.ping, *extra])
                print(f"   [{b.label}] {name:<20} {a.records // 2:>7,} records {low:6.1f} MiB"
                      f"   {a.records:>7,} records {high:6.1f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
