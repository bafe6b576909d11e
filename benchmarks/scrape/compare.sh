#!/usr/bin/env bash
# Times one scrape of the same directory, written by Python's prometheus_client, two ways in one
# run: prometheus_client's MultiProcessCollector + generate_latest (Debian's
# python3-prometheus-client), and our DirectoryScraper.scrape() + Exposition.write (JMH
# ScrapeBenchmark). Checks that both outputs hold the same samples, prints medians, p90s and
# the ratio.
#
# Usage: benchmarks/scrape/compare.sh [WORK_DIR]
#   WORK_DIR (default: a new temp dir) receives dir/, the expositions and the JMH json; an
#   existing WORK_DIR/dir is reused as is.
# Environment: PIDS (8), SERIES (2000), PY_WARMUP (2), PY_RUNS (15), JMH_ARGS (extra JMH options).
# Exit: 0 targets met; 1 outputs differ; 3 a target missed; other: an error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
jar="$root/benchmarks/target/benchmarks.jar"
pids=${PIDS:-8}
series=${SERIES:-2000}
py_warmup=${PY_WARMUP:-2}
py_runs=${PY_RUNS:-15}
work=${1:-$(mktemp -d /tmp/forkserve-scrape.XXXXXX)}
dir="$work/dir"

if ! "$py" -c 'import prometheus_client' 2>/dev/null; then
  echo "compare.sh: $py lacks prometheus_client (apt-get install python3-prometheus-client)" >&2
  exit 2
fi
# shellcheck source=../lib/jmh.sh
. "$root/benchmarks/lib/jmh.sh"
build_jmh_jar "$root"
mkdir -p "$work"
if [[ ! -d "$dir" ]]; then
  "$py" "$here/make_dir.py" "$dir" "$pids" "$series"
fi

echo "directory: $dir ($(ls "$dir" | wc -l) files, $(du -sh "$dir" | cut -f1) on disk)"
py_version=$("$py" -c 'import importlib.metadata as m; print(m.version("prometheus_client"))')
echo "python: prometheus_client $py_version; java: $(java -version 2>&1 | head -1)"
echo "cpus: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

"$py" "$here/time_python.py" "$dir" "$py_warmup" "$py_runs" "$work/python.prom" \
  | tee "$work/python.txt"

java -cp "$jar" io.forkserve.benchmarks.ScrapeOnce "$dir" TEXT >"$work/forkserve.prom"
agree=0
"$py" "$here/compare_outputs.py" "$work/python.prom" "$work/forkserve.prom" || agree=1

# shellcheck disable=SC2086
run_jmh "$work/jmh.log" 'io.forkserve.benchmarks.ScrapeBenchmark.scrape' \
  -p dir="$dir" -p format=TEXT -p scraper=reused,fresh -prof gc \
  -rf json -rff "$work/jmh.json" ${JMH_ARGS:-}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); JMH log: $work/jmh.log"

status=0
"$py" "$here/summarize.py" "$work/python.txt" "$work/jmh.json" || status=$?
if [[ $agree -ne 0 ]]; then
  exit 1
fi
exit "$status"
