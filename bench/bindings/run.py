#!/usr/bin/env python3
"""bench/bindings: starts a redis-server (Debian's) on a free loopback port and runs
build/bench/bindings/bindings_bench against it: gets and puts per second through the redis
binding beside a plain hiredis loop on the same server, in the same run.

    .venv/bin/python bench/bindings/run.py [--build build] [--calls 100000] [--rounds 5]
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from brokers import Redis  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--calls", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    redis = Redis()
    try:
        return subprocess.run([str(Path(args.build) / "bench" / "bindings" / "bindings_bench"), str(redis.port),
                               str(args.calls), str(args.rounds)]).returncode
    finally:
        redis.stop()


if __name__ == "__main__":
    sys.exit(main())
