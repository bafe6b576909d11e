#!/usr/bin/python3
"""Writes the scrape benchmark directory with prometheus_client itself, in multiprocess mode.

Usage: make_dir.py DIR [PIDS] [SERIES]

DIR must be empty or absent. PIDS child processes are forked (as a gunicorn master would); each
creates SERIES labelled series of one histogram (default buckets, 15 with +Inf) and one counter,
and records a few values in each, so every series has non-zero buckets that differ per pid.
"""
import os
import sys


def child(index, series):
    # Imported after the fork so that every child opens its own files under its own pid.
    from prometheus_client import Counter, Histogram

    latency = Histogram(
        "bench_request_latency_seconds",
        "Request latency by route.",
        ["route", "method"],
    )
    requests = Counter("bench_requests", "Requests handled.", ["route", "method"])
    bounds = Histogram.DEFAULT_BUCKETS
    for i in range(series):
        route = "/api/v1/resource/%d" % i
        method = ("GET", "POST", "PUT", "DELETE")[i % 4]
        h = latency.labels(route, method)
        c = requests.labels(route, method)
        for k in range(3):
            b = bounds[(i + index + k * 5) % (len(bounds) - 1)]
            h.observe(b * 0.9)
        c.inc(i % 7 + index + 1)
    os._exit(0)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: make_dir.py DIR [PIDS] [SERIES]")
    path = sys.argv[1]
    pids = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    series = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    os.makedirs(path, exist_ok=True)
    if os.listdir(path):
        sys.exit("make_dir.py: %s is not empty" % path)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    children = []
    for index in range(pids):
        pid = os.fork()
        if pid == 0:
            try:
                child(index, series)
            finally:
                os._exit(1)
        children.append(pid)
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            failed += 1
    if failed:
        sys.exit("make_dir.py: %d of %d writer processes failed" % (failed, pids))


if __name__ == "__main__":
    main()
