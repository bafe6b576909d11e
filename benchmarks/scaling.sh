#!/usr/bin/env bash
# How cost grows, in one run of a few minutes:
#   1. echo through `bin/serve --workers W` for W = 1, 2, 4, 8: requests per second and p99
#      (wrk, 2 threads, 64 connections, WARM s of warm-up then DURATION s measured);
#   2. a scrape (merge + text exposition, a warm reused scraper) of 1k, 10k, 100k and 1M
#      distinct counter series in 8 files, and of 64k series in 1, 4, 16 and 64 files: median
#      wall and CPU time per scrape and the scraping JVM's peak RSS (each size in its own JVM,
#      -Xmx3g; the files are written by our registry in another JVM beforehand); each series
#      size also merged only (read, merge, snapshot; no exposition), in a JVM of its own;
# then the growth: each step's cost ratio against its size ratio (linear when they match) and
# the constants (ns of CPU per series, ms per file).
#
# Usage: benchmarks/scaling.sh [WORK_DIR]   (wrap in `flock /tmp/bench.lock`)
# Environment: WORKERS ("1 2 4 8"), SERIES ("1000 10000 100000 1000000"), FILES ("1 4 16 64"),
#   FILE_SERIES (64000), DURATION (5), WARM (2), SCRAPE_SECONDS (2), SCRAPE_XMX (3g: 1M series
#   do not fit in 1g).
# Exit: 0 no row grows faster than linear (a step's cost ratio at most 1.5x its size ratio, on
#   CPU time); 3 one does; other: an error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib/load.sh
. "$root/benchmarks/lib/load.sh"
py=/usr/bin/python3
jar="$root/benchmarks/target/benchmarks.jar"
work=${1:-$(mktemp -d /tmp/forkserve-scaling.XXXXXX)}
mkdir -p "$work"
out="$work/results.txt"
: >"$out"

command -v wrk >/dev/null || { echo "scaling.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }
if [[ ! -f "$jar" ]]; then
  (cd "$root" && mvn -B -ntp -q -pl benchmarks -am package -DskipTests)
fi

server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "cpus: $(nproc)"
printf '%-24s %12s %10s\n' "echo, workers" "req/s" "p99"
for w in ${WORKERS:-1 2 4 8}; do
  port=$(free_port)
  "$root/bin/serve" --workers "$w" --port "$port" >"$work/serve-$w.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" == 200 ]] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve-$w.log" >&2; exit 2; }
    sleep 0.1
  done
  url="http://127.0.0.1:$port/predict"
  wrk -t2 -c64 -d"${WARM:-2}s" -s "$here/load/post.lua" "$url" >/dev/null
  wrk -t2 -c64 -d"${DURATION:-5}s" --latency -s "$here/load/post.lua" "$url" >"$work/wrk-$w.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$w.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk-$w.txt")
  printf '%-24s %12s %10s\n' "$w" "$rps" "$p99"
  echo "workers $w rps=$rps p99=$p99" >>"$out"
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
done

scrape_one() { # label series files dir [merge]
  local line
  line=$(java -Xms64m -Xmx"${SCRAPE_XMX:-3g}" -XX:+UseSerialGC -cp "$jar" io.forkserve.benchmarks.ScrapeScaling \
    scrape "$4" "${SCRAPE_SECONDS:-2}" ${5:-})
  printf '%-24s %s\n' "$1" "$line"
  echo "$1 series=$2 files=$3 $line" >>"$out"
}
scrape_row() { # label series files [merge: also a merge-only row, without the exposition]
  local d="$work/dir-$2-$3"
  rm -rf "$d"
  java -cp "$jar" io.forkserve.benchmarks.ScrapeScaling write "$d" "$2" "$3"
  scrape_one "$1" "$2" "$3" "$d"
  if [[ -n "${4:-}" ]]; then
    scrape_one "${1/scrape/merge}" "$2" "$3" "$d" merge
  fi
  rm -rf "$d"
}
echo
for s in ${SERIES:-1000 10000 100000 1000000}; do
  scrape_row "scrape, series $s" "$s" 8 merge
done
for f in ${FILES:-1 4 16 64}; do
  scrape_row "scrape, files $f" "${FILE_SERIES:-64000}" "$f"
done

echo
"$py" - "$out" <<'EOF'
import sys
rows = [line.split() for line in open(sys.argv[1])]
def fields(r):
    return {k: v for k, v in (p.split("=", 1) for p in r if "=" in p)}
workers = [(int(r[1]), fields(r)) for r in rows if r[0] == "workers"]
series = [(int(fields(r)["series"]), fields(r)) for r in rows if r[:2] == ["scrape,", "series"]]
merged = [(int(fields(r)["series"]), fields(r)) for r in rows if r[:2] == ["merge,", "series"]]
files = [(int(fields(r)["files"]), fields(r)) for r in rows if r[1] == "files"]
bad = 0
def steps(name, pts, key):
    global bad
    for (a, fa), (b, fb) in zip(pts, pts[1:]):
        cost = float(fb[key]) / float(fa[key])
        size = b / a
        worse = cost > 1.5 * size
        bad += worse
        print("%s %d -> %d: size x%.0f, %s x%.2f%s" % (name, a, b, size, key, cost,
              "  FASTER THAN LINEAR" if worse else ""))
steps("series", series, "cpu_ms")
if len(series) >= 2:
    (a, fa), (b, fb) = series[0], series[-1]
    print("per series: %.0f ns CPU (%.0f ns wall), from %d to %d series; peak RSS %s MB at %d"
          % ((float(fb["cpu_ms"]) - float(fa["cpu_ms"])) * 1e6 / (b - a),
             (float(fb["wall_ms"]) - float(fa["wall_ms"])) * 1e6 / (b - a), a, b,
             fb["rss_peak_mb"], b))
steps("merge only, series", merged, "cpu_ms")
if len(merged) >= 2:
    (a, fa), (b, fb) = merged[0], merged[-1]
    print("merge only, per series: %.0f ns CPU, from %d to %d series"
          % ((float(fb["cpu_ms"]) - float(fa["cpu_ms"])) * 1e6 / (b - a), a, b))
steps("files", files, "cpu_ms")
if len(files) >= 2:
    (a, fa), (b, fb) = files[0], files[-1]
    print("per file: %.3f ms CPU, from %d to %d files of %s series in all"
          % ((float(fb["cpu_ms"]) - float(fa["cpu_ms"])) / (b - a), a, b, fa["series"]))
if workers:
    base = float(workers[0][1]["rps"])
    for w, f in workers:
        print("workers %d: %.2fx the requests of %d" % (w, float(f["rps"]) / base, workers[0][0]))
sys.exit(3 if bad else 0)
EOF
