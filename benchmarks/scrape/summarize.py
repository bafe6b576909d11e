#!/usr/bin/python3
"""Prints the scrape comparison from time_python.py's line and a ScrapeBenchmark JMH json file.

Usage: summarize.py PYTHON_LINE_FILE JMH_JSON
Exits 3 when a target is missed: forkserve (reused scraper) median <= 20 ms, and Python's
median / ours >= 50.
"""
import json
import sys

MAX_MS = 20.0
MIN_RATIO = 50.0


def python_figures(path):
    with open(path) as f:
        fields = dict(p.split("=", 1) for p in f.read().split()[1:])
    return float(fields["median_ms"]), float(fields["p90_ms"])


def java_figures(path):
    with open(path) as f:
        runs = json.load(f)
    figures = {}
    for run in runs:
        metric = run["primaryMetric"]
        if metric["scoreUnit"] != "ms/op":
            raise SystemExit("summarize: expected ms/op, got %s" % metric["scoreUnit"])
        pct = metric["scorePercentiles"]
        norm = run.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        alloc = norm["score"] if norm else float("nan")
        figures[run["params"]["scraper"]] = (pct["50.0"], pct["90.0"], alloc)
    return figures


def main():
    py_median, py_p90 = python_figures(sys.argv[1])
    java = java_figures(sys.argv[2])
    print("%-34s %10s %10s %12s %14s" % ("scrape + exposition (text)", "median ms", "p90 ms",
                                         "python/ours", "MB alloc/op"))
    print("%-34s %10.2f %10.2f %12s %14s" % ("python prometheus_client", py_median, py_p90, "1",
                                             ""))
    for mode in ("reused", "fresh"):
        if mode in java:
            median, p90, alloc = java[mode]
            print("%-34s %10.2f %10.2f %11.1fx %14.1f"
                  % ("forkserve, %s scraper" % mode, median, p90, py_median / median,
                     alloc / 1e6))
    if "reused" not in java:
        raise SystemExit("summarize: no result for the reused (warm) scraper")
    median = java["reused"][0]
    ratio = py_median / median
    ok_time = median <= MAX_MS
    ok_ratio = ratio >= MIN_RATIO
    print("target median <= %.0f ms (warm): %s (%.2f ms)"
          % (MAX_MS, "met" if ok_time else "MISSED", median))
    p90 = java["reused"][1]
    print("  (warm p90 %.2f ms: %s 20 ms; see the per-iteration times in the JMH log)"
          % (p90, "within" if p90 <= MAX_MS else "over"))
    print("target >= %.0fx faster than python: %s (%.1fx)"
          % (MIN_RATIO, "met" if ok_ratio else "MISSED", ratio))
    sys.exit(0 if ok_time and ok_ratio else 3)


if __name__ == "__main__":
    main()
