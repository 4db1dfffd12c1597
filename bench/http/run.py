#!/usr/bin/env python3
"""bench/http: wrk against nginx (the baseline) and `nimbus serve` with the hello
example, in process and thread mode, at 1, 32 and 128 connections.

Every figure is a median over rounds that alternate the servers, so the noise of a
shared machine falls on all of them alike; the ratios to nginx are what to read.

    bench/http/run.py [--nimbus build/cli/nimbus] [--baseline OTHER/cli/nimbus] [--duration 5] [--rounds 3]
                      [--workers 1]

With --baseline, a second nimbus build (the previous commit's, say) is measured in
the same rounds, so a change is read against the build before it, side by side.

Needs nginx and wrk (scripts/setup.sh installs both). nginx runs with one
worker process, `return 200` and no access log; nimbus with the function's
logs at warn, so neither writes a line per request.
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
CONNECTIONS = (1, 32, 128)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def to_us(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def wrk(port, connections, duration):
    threads = 1 if connections == 1 else 2
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                          f"http://127.0.0.1:{port}/?name=bench"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_us(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_us(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses:\n{out}")
    return rps, p50, p99


class Nginx:
    name = "nginx"

    def __init__(self, tmp):
        self.port = free_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(f"""worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  server {{ listen 127.0.0.1:{self.port}; location / {{ return 200 "hello\\n"; }} }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", tmp], stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        self.proc.wait(10)


class Nimbus:
    def __init__(self, nimbus, function, mode, workers, label=""):
        self.name = f"nimbus {mode}{label}"
        self.proc = subprocess.Popen(
            [nimbus, "serve", str(function), "--host", "127.0.0.1", "--port", "0",
             "--admin-port", "0", "--worker-mode", mode, "--workers", str(workers), "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = json.loads(self.proc.stdout.readline())["port"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        if self.proc.wait(30) != 0:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nimbus", default=str(ROOT / "build/cli/nimbus"))
    ap.add_argument("--baseline", help="another nimbus build to measure side by side (labelled 'base')")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; the figures are medians")
    ap.add_argument("--workers", type=int, default=1, help="nimbus workers (nginx runs one worker process)")
    args = ap.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"bench/http: {tool} is not installed (run scripts/setup.sh)")
    builds = [(args.nimbus, "")] + ([(args.baseline, " base")] if args.baseline else [])
    results = {}  # (server, connections) -> [(rps, p50, p99)]
    with tempfile.TemporaryDirectory() as tmp:
        # Each build gets its own copy of the function, built before timing anything.
        functions = {}
        for nimbus, label in builds:
            folder = Path(tmp) / f"hello{label.strip()}"
            shutil.copytree(ROOT / "examples/hello", folder, ignore=shutil.ignore_patterns(".nimbus"))
            subprocess.run([nimbus, "build", str(folder / "function.yaml")], check=True, stdout=subprocess.DEVNULL)
            functions[label] = folder / "function.yaml"
        servers = [lambda: Nginx(tmp)]
        for nimbus, label in builds:
            for mode in ("process", "thread"):
                servers.append(lambda n=nimbus, l=label, m=mode: Nimbus(n, functions[l], m, args.workers, l))
        for r in range(args.rounds):
            for make in servers:
                server = make()
                try:
                    wrk(server.port, 32, 1)  # warm-up
                    for c in CONNECTIONS:
                        results.setdefault((server.name, c), []).append(wrk(server.port, c, args.duration))
                finally:
                    server.stop()
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    cpus = os.cpu_count()
    model = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                  if l.startswith("model name")), "?")
    print(f"bench/http: {cpus} CPUs ({model}); wrk on the same machine; {args.rounds} rounds x {args.duration} s; "
          f"nimbus workers: {args.workers}; medians")
    print(f"{'server':<16}{'conns':>6}{'req/s':>11}{'p50 us':>9}{'p99 us':>9}{'req/s vs nginx':>16}{'p99 vs nginx':>14}")
    names = ["nginx"] + [f"nimbus {m}{l}" for _, l in builds for m in ("process", "thread")]
    for name in names:
        for c in CONNECTIONS:
            runs = results[(name, c)]
            rps, p50, p99 = (statistics.median(x) for x in zip(*runs))
            base = [statistics.median(x) for x in zip(*results[("nginx", c)])]
            print(f"{name:<16}{c:>6}{rps:>11.0f}{p50:>9.0f}{p99:>9.0f}{rps / base[0]:>16.2f}{p99 / base[2]:>14.2f}")


if __name__ == "__main__":
    main()
