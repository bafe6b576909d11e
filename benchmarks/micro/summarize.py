#!/usr/bin/python3
"""Summarizes JMH json files of the update benchmarks, ours beside client_java's (for
MicrometerBenchmark: ours beside micrometer-registry-prometheus, shown as client_java).

Usage: summarize.py ROUND_JSON...
Per benchmark method: median ns/op of each impl over the files, median of the per-file ratios
forkserve / client_java (below 1: ours is faster), and the largest B/op seen (gc.alloc.rate.norm).
"""
import json
import statistics
import sys
from collections import defaultdict


def median_ratio(numerators, denominators):
    """Median over rounds of numerator / denominator, or None when either is missing."""
    if not numerators or not denominators:
        return None
    return statistics.median([a / b for a, b in zip(numerators, denominators)])


def main():
    scores = defaultdict(list)  # (method, impl) -> [ns/op per round]
    alloc = defaultdict(float)  # (method, impl) -> max B/op
    for path in sys.argv[1:]:
        with open(path) as f:
            for run in json.load(f):
                method = run["benchmark"].rsplit(".", 2)[-2:]
                params = run["params"]
                # MicrometerBenchmark's baseline, micrometer-registry-prometheus, is client_java.
                impl = params.get("impl", params.get("registry"))
                impl = "client_java" if impl == "prometheus" else impl
                key = (".".join(method).replace("Benchmark", ""), impl)
                scores[key].append(run["primaryMetric"]["score"])
                norm = run.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
                if norm is not None:
                    alloc[key] = max(alloc[key], norm["score"])
    methods = sorted({m for m, _ in scores})
    print("%-42s %11s %11s %9s %10s %10s" % ("ns/op per thread (median of rounds)", "forkserve",
                                             "client_java", "ours/cj", "ours B/op", "cj B/op"))
    for m in methods:
        ours, theirs = scores.get((m, "forkserve")), scores.get((m, "client_java"))
        if not ours or not theirs:
            continue
        ratios = [a / b for a, b in zip(ours, theirs)]
        print("%-42s %11.2f %11.2f %9.2f %10.3f %10.3f" % (
            m, statistics.median(ours), statistics.median(theirs), statistics.median(ratios),
            alloc[(m, "forkserve")], alloc[(m, "client_java")]))
    for prefix in sorted({m.split(".")[0] for m in methods}):
        one = prefix + ".oneThread"
        series = prefix + ".twoThreadsDistinctSeries"
        controls = [m for m in methods if m.startswith(prefix + ".twoThreadsDistinct")
                    and m != series]
        for impl in ("forkserve", "client_java"):
            parts = []
            for shape in [series] + controls:
                ratio = median_ratio(scores.get((shape, impl)), scores.get((one, impl)))
                if ratio is not None:
                    parts.append("%s %.2fx" % (shape.split(".")[1], ratio))
            for control in controls:
                ratio = median_ratio(scores.get((series, impl)), scores.get((control, impl)))
                if ratio is not None:
                    parts.append("series/control %.2fx" % ratio)
            if parts:
                print("%s %s, per-thread time over 1 thread: %s" % (prefix, impl, "; ".join(parts)))
    print("rounds: %d; ratio = forkserve / client_java per round, median (below 1: ours faster)"
          % len(sys.argv[1:]))


if __name__ == "__main__":
    main()
