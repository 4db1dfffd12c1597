#!/usr/bin/env python3
"""bench/fuzz: runs every libFuzzer target (tests/fuzz) for longer than CI
does and prints, for each, the executions, the rate, the coverage reached and
the crashes found. A crash's input is kept in --artifacts (by default a folder
in /tmp); once the bug is fixed, copy it to tests/fuzz/regressions/<name>/ so
that scripts/fuzz.sh runs it every time.

    scripts/fuzz.sh 1                     # builds build-fuzz/ (once)
    bench/fuzz/run.py [--seconds 60] [--only tape_line]
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=60, help="per target")
    ap.add_argument("--only", help="one target's name (e.g. http_request)")
    ap.add_argument("--artifacts", help="where crash inputs go (default: a new folder in /tmp)")
    args = ap.parse_args()
    build = ROOT / "build-fuzz/tests/fuzz"
    targets = sorted(p.stem for p in (ROOT / "tests/fuzz").glob("*_fuzz.cpp"))
    if args.only:
        targets = [t for t in targets if t == f"{args.only}_fuzz"]
    missing = [t for t in targets if not (build / t).exists()]
    if missing:
        sys.exit(f"bench/fuzz: {', '.join(missing)} not built; run scripts/fuzz.sh 1 first")
    artifacts = Path(args.artifacts or tempfile.mkdtemp(prefix="nimbus-fuzz-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    print(f"bench/fuzz: {args.seconds} s per target; crash inputs go to {artifacts}")
    print(f"{'target':<22}{'executions':>12}{'exec/s':>9}{'coverage':>10}{'corpus':>8}{'crashes':>9}")
    failed = False
    for target in targets:
        name = target.removesuffix("_fuzz")
        with tempfile.TemporaryDirectory() as corpus:
            inputs = [corpus, str(ROOT / "tests/fuzz/corpus" / name)]
            if (ROOT / "tests/fuzz/regressions" / name).is_dir():
                inputs.append(str(ROOT / "tests/fuzz/regressions" / name))
            run = subprocess.run([str(build / target), f"-max_total_time={args.seconds}", "-max_len=4096", "-timeout=10",
                                  "-rss_limit_mb=2048", "-print_final_stats=1", f"-artifact_prefix={artifacts}/{name}-",
                                  *inputs], capture_output=True, text=True)
            log = run.stderr
            stat = lambda key: (re.findall(rf"stat::{key}:\s+(\d+)", log) or ["0"])[-1]
            cov = (re.findall(r"cov: (\d+)", log) or ["0"])[-1]
            units = (re.findall(r"corp: (\d+)/", log) or ["0"])[-1]
            crashes = len(list(artifacts.glob(f"{name}-*")))
            print(f"{name:<22}{stat('number_of_executed_units'):>12}{stat('average_exec_per_sec'):>9}{cov:>10}"
                  f"{units:>8}{crashes:>9}")
            if run.returncode != 0:
                failed = True
                print("\n".join(log.splitlines()[-25:]), file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
