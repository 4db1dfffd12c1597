#!/usr/bin/env python3
"""bench/logging (Python): what a log call costs a Python function through the SDK's logger
(the C++ logger underneath): a disabled debug call (the logger at info), an enabled info call
into a sink that keeps the records in memory, and a structured info_with, beside an empty
Python function call in the same run. Prints the medians of the rounds in ns per call.

    .venv/bin/python bench/logging/python_logging.py [--calls 1000000] [--rounds 7]
"""

import argparse
import statistics
import timeit

from nimbus._logger import CapturedLogs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    logs = CapturedLogs("info")
    logger = logs.logger

    def empty():
        pass

    cases = {
        "empty function call": (lambda: empty(), args.calls),
        "disabled logger.debug('handled')": (lambda: logger.debug("handled"), args.calls),
        "enabled logger.info('handled')": (lambda: logger.info("handled"), args.calls // 20),
        "enabled logger.info_with('handled', n=1)": (lambda: logger.info_with("handled", n=1), args.calls // 20),
    }
    results = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (call, count) in cases.items():
            results[name].append(timeit.timeit(call, number=count) / count * 1e9)
            logs.clear()
    print(f"bench/logging (Python): median of {args.rounds} rounds, ns per call")
    for name, values in results.items():
        print(f"  {name:<44} {statistics.median(values):8.1f}")


if __name__ == "__main__":
    main()
