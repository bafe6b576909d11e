#!/usr/bin/env bash
# The process/JVM metrics' share of a real server's scrape (issue 11, "a scrape with 8 workers'
# JVM metrics added stays within 10% of one without them"), end to end: bin/serve --workers 8
# with the metrics on (the default) and with --no-jvm-metrics, in alternating rounds, a fresh
# server each; the whole run holds flock /tmp/bench.lock. Per server: await /health (all 8
# workers ready), 3 s of wrk on the API so the front's request series exist, 2 s to settle,
# WARMUP scrapes, then jvm_e2e.py:
# an idle window with no request, then SCRAPES paced GET /metrics at RATE per second; the front
# JVM's CPU (utime + stime of /proc/PID/stat) in the scrape window minus the idle window's is the
# scrape's. Then, with SLOW > 0, the same at one scrape per second (coarser: 10 ms ticks).
# Prints per round each side's CPU per scrape, samples, bytes and wall median/p90, the on/off
# ratio, and at the end the medians over the rounds and the median of the ratios.
#
#   benchmarks/scrape/jvm-e2e.sh                        # 4 rounds, 200 scrapes at 20/s, echo
#   ROUNDS=6 SCRAPES=400 API=classifier benchmarks/scrape/jvm-e2e.sh
#
# API: echo (the built-in example, default), classifier (SpiralClassifierApi from examples/), or
# a class in the examples jar (then BODY is the JSON request body). FORMAT: prometheus (default:
# the Accept header and gzip that Prometheus 2.x sends, so OpenMetrics) or text.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
# the whole run holds the machine's benchmark lock (servers of other runs would share the cores)
hold_bench_lock "$0" "$@"
here="$root/benchmarks/scrape"
out="$root/bench-out/scrape"
rounds="${ROUNDS:-4}"
scrapes="${SCRAPES:-200}"
rate="${RATE:-20}"
slow="${SLOW:-10}"
warmup="${WARMUP:-40}"
format="${FORMAT:-prometheus}"
api="${API:-echo}"
mkdir -p "$out"
need_wrk jvm-e2e.sh

api_flags=()
body='{"input": "hello forkserve"}'
if [ "$api" != echo ]; then
  shopt -s nullglob
  examples=("$root"/examples/target/forkserve-examples-*-SNAPSHOT.jar)
  if [ ${#examples[@]} -eq 0 ]; then
    mvn -q -B -ntp -DskipTests -f "$root/pom.xml" -pl examples -am install
    examples=("$root"/examples/target/forkserve-examples-*-SNAPSHOT.jar)
  fi
  class="$api"
  if [ "$api" = classifier ]; then
    class=io.forkserve.examples.SpiralClassifierApi
    body='{"x": 0.1, "y": -0.4}'
  fi
  body="${BODY:-$body}"
  api_flags=(--api "$class" --jar "${examples[0]}")
fi
lua="$out/jvm-e2e-post.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' \
  "'$body'" > "$lua"
hz=$(getconf CLK_TCK)
curl_format=(-H 'Accept: text/plain;version=0.0.4')
[ "$format" = prometheus ] && curl_format=(--compressed -H "Accept: $(python3 -c \
  "import sys; sys.path.insert(0, '$here'); import jvm_e2e; print(jvm_e2e.PROMETHEUS_ACCEPT)")")

server=""
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

# One window: prints "cpu_ms_per_scrape median_ms p90_ms samples bytes".
window() { # port count rate
  python3 "$here/jvm_e2e.py" "$server" "$1" "$2" "$3" "$format" \
    | awk -v hz="$hz" -v n="$2" '{
        idle = $1 / $2; cpu = ($3 - idle * $4) * 1000 / hz / n
        printf "%.3f %s %s %s %s\n", cpu, $5, $6, $7, $8 }'
}

: > "$out/jvm-e2e.txt"
for round in $(seq 1 "$rounds"); do
  for side in on off; do
    port=$(free_port)
    flags=(--workers 8 --port "$port" --drain-delay 0 "${api_flags[@]}")
    [ "$side" = off ] && flags+=(--no-jvm-metrics)
    env -u METRICS_MULTIPROC_DIR "$root/bin/serve" "${flags[@]}" > "$out/jvm-e2e-$side.log" 2>&1 &
    server=$!
    # /health waits for all 8 workers; the issue's scrape is of a server with 8
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ]; do
      kill -0 "$server" || { cat "$out/jvm-e2e-$side.log" >&2; exit 1; }
      sleep 0.1
    done
    wrk -t2 -c16 -d3s -s "$lua" "http://127.0.0.1:$port/predict" > "$out/jvm-e2e-wrk.txt"
    grep -q 'Non-2xx' "$out/jvm-e2e-wrk.txt" && { cat "$out/jvm-e2e-wrk.txt" >&2; exit 1; }
    sleep 2
    for _ in $(seq 1 "$warmup"); do curl -s -o /dev/null "${curl_format[@]}" "http://127.0.0.1:$port/metrics"; done
    fast=$(window "$port" "$scrapes" "$rate")
    slow_line="- - - - -"
    [ "$slow" -eq 0 ] || slow_line=$(window "$port" "$slow" 1)
    echo "$round $side $fast $slow_line" >> "$out/jvm-e2e.txt"
    read -r cpu med p90 samples bytes <<< "$fast"
    printf 'round %d, jvm metrics %-3s: %s ms CPU/scrape at %s/s, %s samples, %s bytes, wall median %s ms p90 %s ms; at 1/s: %s ms CPU, wall median %s ms\n' \
      "$round" "$side" "$cpu" "$rate" "$samples" "$bytes" "$med" "$p90" \
      "$(cut -d' ' -f1 <<< "$slow_line")" "$(cut -d' ' -f2 <<< "$slow_line")"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
  done
done
python3 - "$out/jvm-e2e.txt" "$rate" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
side = {s: [r for r in rows if r[1] == s] for s in ("on", "off")}
def med(s, i):
    v = [float(r[i]) for r in side[s] if r[i] != "-"]
    return statistics.median(v) if v else float("nan")
for s in ("on", "off"):
    print("jvm metrics %-3s: median CPU/scrape %.3f ms at %s/s (%.3f at 1/s), %d samples, "
          "%d bytes, wall median %.2f ms, p90 %.2f ms"
          % (s, med(s, 2), sys.argv[2], med(s, 7), med(s, 5), med(s, 6), med(s, 3), med(s, 4)))
ratios = [float(a[2]) / float(b[2]) for a, b in zip(side["on"], side["off"])]
print("on/off CPU per scrape by round: %s; median %.3f"
      % (", ".join("%.3f" % r for r in ratios), statistics.median(ratios)))
print("on/off samples %.3f, bytes %.3f" % (med("on", 5) / med("off", 5), med("on", 6) / med("off", 6)))
EOF
