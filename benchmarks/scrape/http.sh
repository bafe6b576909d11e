#!/usr/bin/env bash
# Times scrapes of the same directory (written by Python's prometheus_client, as compare.sh's)
# in one run: in process (DirectoryScraper + Exposition into memory), over HTTP from
# `bin/metrics serve`, plain and gzip-compressed, in alternating rounds (ScrapeHttpRounds), then
# prometheus_client's MultiProcessCollector + generate_latest on the same directory. Prints each
# median and p90 and the ratios against the targets: HTTP within 1.3x of in-process, gzip at
# most 2x plain HTTP, HTTP at least 100x faster than Python.
#
# Usage: benchmarks/scrape/http.sh [WORK_DIR]
#   WORK_DIR (default: a new temp dir) receives dir/ and the logs; an existing WORK_DIR/dir is
#   reused as is.
# Environment: PIDS (8), SERIES (2000), ROUNDS (10), PER_ROUND (10), WARMUP (30), PY_RUNS (5),
#   SERVE_OPTS (JVM options of `bin/metrics serve`, default its own).
# Exit: 0 targets met; 3 a target missed; other: an error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
jar="$root/benchmarks/target/benchmarks.jar"
work=${1:-$(mktemp -d /tmp/forkserve-scrape-http.XXXXXX)}
dir="$work/dir"

if [[ ! -f "$jar" ]]; then
  (cd "$root" && mvn -B -ntp -q -pl benchmarks -am package -DskipTests)
fi
mkdir -p "$work"
if [[ ! -d "$dir" ]]; then
  "$py" "$here/make_dir.py" "$dir" "${PIDS:-8}" "${SERIES:-2000}"
fi
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [[ -n "${SERVE_OPTS:-}" ]]; then
  export FORKSERVE_JVM_OPTS="$SERVE_OPTS"
fi
"$root/bin/metrics" serve "$dir" --port "$port" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^serving' "$work/serve.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 2; }
  sleep 0.1
done
grep -q '^serving' "$work/serve.log" || { echo "http.sh: server did not start" >&2; exit 2; }

echo "directory: $dir ($(ls "$dir" | wc -l) files); server pid $server on port $port"
java -Xms1g -Xmx1g -cp "$jar" io.forkserve.benchmarks.ScrapeHttpRounds "$dir" \
  "127.0.0.1:$port" "${ROUNDS:-10}" "${PER_ROUND:-10}" "${WARMUP:-30}" | tee "$work/rounds.txt"
"$py" "$here/time_python.py" "$dir" 1 "${PY_RUNS:-5}" "$work/python.prom" | tee "$work/python.txt"

"$py" - "$work/rounds.txt" "$work/python.txt" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if "median_ms=" in line:
        rows[parts[0]] = {k: float(v) for k, v in (p.split("=") for p in parts[1:])}
py = dict(p.split("=") for p in open(sys.argv[2]).read().split()[1:])
py_ms = float(py["median_ms"])
inproc, http, gz = rows["in-process"], rows["http"], rows["http-gzip"]
checks = [
    ("http / in-process", http["median_ms"] / inproc["median_ms"], "<=", 1.3),
    ("gzip / http", gz["median_ms"] / http["median_ms"], "<=", 2.0),
    ("python / in-process", py_ms / inproc["median_ms"], ">=", 100.0),
    ("python / http", py_ms / http["median_ms"], ">=", 100.0),
    ("python / http-gzip", py_ms / gz["median_ms"], ">=", 100.0),
]
missed = 0
for name, value, op, target in checks:
    ok = value <= target if op == "<=" else value >= target
    missed += not ok
    print("%-20s %7.2f  (target %s %s)%s" % (name, value, op, target, "" if ok else "  MISSED"))
sys.exit(3 if missed else 0)
EOF
