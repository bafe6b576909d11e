#!/usr/bin/env bash
# Baseline for ArchiveScrapeBenchmark: Debian's prometheus_client (MultiProcessCollector +
# generate_latest) scraping a directory where RESTARTS dead workers' files were left in place,
# as Python leaves them, next to the same 4 live workers. Usage (after `mvn -pl benchmarks -am
# package`): benchmarks/archive-scrape-python.sh [RESTARTS...]   default: 1 1000
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=benchmarks/target/benchmarks.jar
[ -f "$JAR" ] || { echo "missing $JAR: run mvn -B -ntp -pl benchmarks -am package first" >&2; exit 2; }
for n in "${@:-1 1000}"; do
  for restarts in $n; do
    dir=$(mktemp -d)
    java --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
      -cp "$JAR" io.forkserve.benchmarks.ArchiveScrapeBenchmark "$dir" "$restarts"
    /usr/bin/python3 - "$dir" "$restarts" <<'PY'
import sys, time, statistics
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
path, restarts = sys.argv[1], sys.argv[2]
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry, path=path)
times = []
for _ in range(3):
    start = time.perf_counter()
    body = generate_latest(registry)
    times.append(time.perf_counter() - start)
print(f"python dead files restarts={restarts}: {statistics.median(times) * 1000:.1f} ms per scrape"
      f" (median of 3, {len(body.splitlines())} lines)")
PY
    rm -rf "$dir"
  done
done
