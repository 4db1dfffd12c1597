#!/usr/bin/env python3
"""bench/dispatch/compare.py: two builds of dispatch_bench side by side.

    bench/dispatch/compare.py --baseline OTHER/build/bench/dispatch/dispatch_bench \
        [--new build/bench/dispatch/dispatch_bench] [--pairs 20] [--events 200000] [--rounds 5]

Runs the two binaries alternately (base first in even pairs, new first in odd
ones), so both see the same machine, and prints each figure's median over the
pairs, the ratio of the medians, and the median of the per-pair ratios for the
throughput figures. Nothing here is a pass/fail check: read the ratios.
"""
import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIGURES = {
    "process events/s": r"process mode, median\):\s+(\d+)",
    "thread events/s": r"thread mode, median\):\s+(\d+)",
    "round trip p50 us": r"p50 ([\d.]+)",
    "round trip p99 us": r"p99 ([\d.]+)",
    "raw ring msgs/s": r"messages between threads:\s+(\d+)",
}


def measure(binary, events, rounds):
    out = subprocess.run([binary, str(events), str(rounds)], capture_output=True, text=True, check=True).stdout
    figures = {}
    for name, pattern in FIGURES.items():
        found = re.search(pattern, out)
        if not found:
            sys.exit(f"compare.py: {binary} printed no '{name}' figure; its output was:\n{out}")
        figures[name] = float(found.group(1))
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--new", default=str(ROOT / "build/bench/dispatch/dispatch_bench"))
    ap.add_argument("--baseline", required=True, help="the other build's dispatch_bench")
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    for binary in (args.new, args.baseline):
        if not Path(binary).is_file():
            sys.exit(f"compare.py: no dispatch_bench at {binary} (build it with: cmake --build build --target dispatch_bench)")

    builds = {"base": args.baseline, "new": args.new}
    results = {b: {name: [] for name in FIGURES} for b in builds}
    for pair in range(args.pairs):
        order = ["base", "new"] if pair % 2 == 0 else ["new", "base"]
        for build in order:
            for name, value in measure(builds[build], args.events, args.rounds).items():
                results[build][name].append(value)

    print(f"{args.pairs} alternating pairs, {args.events} events x {args.rounds} rounds each")
    for name in FIGURES:
        base = statistics.median(results["base"][name])
        new = statistics.median(results["new"][name])
        print(f"{name:18s} base {base:>14,.1f}  new {new:>14,.1f}  new/base {new / base:.3f}")
    for name in ("process events/s", "thread events/s"):
        ratios = [n / b for n, b in zip(results["new"][name], results["base"][name])]
        print(f"{name:18s} per-pair new/base: median {statistics.median(ratios):.3f}, "
              f"range {min(ratios):.3f}..{max(ratios):.3f}")


if __name__ == "__main__":
    main()
