#!/usr/bin/python3
"""Times prometheus_client's MultiProcessCollector + generate_latest on a directory.

Usage: time_python.py DIR WARMUP RUNS OUT_PROM
Prints one line: "python median_ms=... p90_ms=... runs=... lines=... bytes=..." and writes the
last exposition to OUT_PROM.
"""
import statistics
import sys
import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector


def percentile(sorted_values, fraction):
    # Nearest-rank percentile, the same definition the Java side reports.
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))
    return sorted_values[rank - 1]


def main():
    path, warmup, runs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    body = b""
    for _ in range(warmup):
        body = generate_latest(registry)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body = generate_latest(registry)
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    with open(out, "wb") as f:
        f.write(body)
    lines = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    print(
        "python median_ms=%.3f p90_ms=%.3f runs=%d lines=%d bytes=%d"
        % (statistics.median(times), percentile(times, 0.9), runs, lines, len(body))
    )


if __name__ == "__main__":
    main()
