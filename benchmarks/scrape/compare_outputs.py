#!/usr/bin/python3
"""Checks that two text-format expositions hold the same samples.

Usage: compare_outputs.py PYTHON_PROM JAVA_PROM
Both are parsed with prometheus_client's own parser and compared as sets of (family, type,
sample name, labels, value); values may differ by float rounding of sums taken in another order
(relative 1e-9). Our self-metrics (families named forkserve_*, which Python does not have) are
counted apart. Prints one line "outputs ..." and exits 1 when they differ.
"""
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


SELF_PREFIX = "forkserve_"


def samples(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = sum(
        1
        for line in text.splitlines()
        if line and not line.startswith("#") and not line.startswith(SELF_PREFIX)
    )
    found = {}
    own = 0
    for family in text_string_to_metric_families(text):
        if family.name.startswith(SELF_PREFIX):
            own += len(family.samples)
            continue
        for s in family.samples:
            key = (family.name, family.type, s.name, tuple(sorted(s.labels.items())))
            if key in found:
                raise SystemExit("outputs: %s has a duplicate sample %r" % (path, key))
            found[key] = s.value
    return lines, found, own


def main():
    py_lines, py, _ = samples(sys.argv[1])
    java_lines, java, java_own = samples(sys.argv[2])
    missing = sorted(set(py) - set(java))
    extra = sorted(set(java) - set(py))
    differ = [
        k for k in set(py) & set(java) if not math.isclose(py[k], java[k], rel_tol=1e-9)
    ]
    ok = py_lines == java_lines and not missing and not extra and not differ
    print(
        "outputs %s: sample lines python=%d forkserve=%d (+%d self-metric samples); "
        "missing=%d extra=%d values_differ=%d"
        % ("agree" if ok else "DIFFER", py_lines, java_lines, java_own, len(missing), len(extra),
           len(differ))
    )
    for label, keys in (("missing", missing), ("extra", extra), ("differs", sorted(differ))):
        for k in keys[:3]:
            print("  %s: %r python=%r forkserve=%r" % (label, k, py.get(k), java.get(k)))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
