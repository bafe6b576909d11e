#!/usr/bin/env bash
# Load test (wrk, 127.0.0.1 only, bounded duration): forkserve's echo API with 2 workers versus
# the Python recipe (FastAPI + gunicorn, 2 uvicorn workers, prometheus_client multiprocess) and
# the ceiling (bare Undertow + Jackson echo in one process), all in the same run, with the resident
# memory of each process after its load; then start-up against gunicorn (startup.sh, 3 rounds).
#
#   benchmarks/load/run.sh            # 10 s per target, 64 connections
#   DURATION=30s CONNECTIONS=64 benchmarks/load/run.sh
#   benchmarks/load/run.sh jvm-metrics  # JVM metrics sampler on vs off (jvm-metrics.sh)
#
# Results: a table on stdout and the raw wrk output in bench-out/load/.
set -euo pipefail
if [ "${1:-}" = jvm-metrics ]; then exec "$(dirname "$0")/jvm-metrics.sh"; fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/benchmarks/load"
out="$root/bench-out/load"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
py=/usr/bin/python3
mkdir -p "$out"

need=()
command -v wrk >/dev/null || need+=(wrk)
for mod in fastapi uvicorn gunicorn prometheus_client; do
  "$py" -c "import $mod" 2>/dev/null || need+=("python3-${mod//_/-}")
done
if [ ${#need[@]} -gt 0 ]; then
  need=("${need[@]/python3-gunicorn/gunicorn}")
  echo "run.sh: installing ${need[*]}" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
if ! ls "$root"/runtime/target/forkserve-runtime-*.jar >/dev/null 2>&1; then
  mvn -q -B -ntp -DskipTests -f "$root/pom.xml" package
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

await_url() { # url [method]
  for _ in $(seq 1 300); do
    if [ "${2:-GET}" = POST ]; then
      curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"input": 1}' "$1" && return 0
    else
      curl -sf -o /dev/null "$1" && return 0
    fi
    sleep 0.05
  done
  echo "run.sh: $1 never answered" >&2; return 1
}

measure() { # name url
  local name="$1" url="$2"
  wrk -t"$threads" -c"$connections" -d3s -s "$here/post.lua" "$url" >/dev/null  # warm-up
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$here/post.lua" "$url" \
    > "$out/$name.txt"
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$out/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$out/$name.txt")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$out/$name.txt" | tr '\n' ' ')
  printf '%-34s %12s %10s %10s  %s\n' "$name" "$rps" "$p50" "$p99" "$errors" | tee -a "$out/summary.txt"
}

# rss NAME PID: resident memory (MB) of PID (the front, or gunicorn's master) and of each child
rss() {
  local name="$1" pid="$2" mb children=""
  mb() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
  for child in $(pgrep -P "$pid"); do children="$children $(mb "$child")"; done
  printf '%-34s RSS after the load: parent %s MB, workers%s MB\n' "$name" "$(mb "$pid")" \
    "$children" | tee -a "$out/summary.txt"
}

: > "$out/summary.txt"
printf '%-34s %12s %10s %10s\n' target req/s p50 p99 | tee -a "$out/summary.txt"

# 1. forkserve, echo API, 2 workers
port=$(free_port)
"$root/bin/serve" --workers 2 --port "$port" > "$out/forkserve.log" 2>&1 &
pids+=($!)
await_url "http://127.0.0.1:$port/health"
measure "forkserve echo, 2 workers" "http://127.0.0.1:$port/predict"
rss "forkserve echo, 2 workers" "${pids[-1]}"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# 2. the Python recipe
port=$(free_port)
prom_dir=$(mktemp -d)
(cd "$here" && PROMETHEUS_MULTIPROC_DIR="$prom_dir" exec "$py" -m gunicorn -w 2 \
  -k uvicorn.workers.UvicornWorker -c gunicorn_conf.py -b "127.0.0.1:$port" \
  python_recipe:app) > "$out/python.log" 2>&1 &
pids+=($!)
await_url "http://127.0.0.1:$port/predict" POST
measure "python recipe (gunicorn+uvicorn x2)" "http://127.0.0.1:$port/predict"
rss "python recipe (gunicorn+uvicorn x2)" "${pids[-1]}"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
rm -rf "$prom_dir"

# 3. the ceiling: bare Undertow + Jackson, one process
port=$(free_port)
java -cp "$root/runtime/target/lib/*" "$here/BareEcho.java" "$port" > "$out/bare.log" 2>&1 &
pids+=($!)
await_url "http://127.0.0.1:$port/predict" POST
measure "ceiling: bare Undertow+Jackson" "http://127.0.0.1:$port/predict"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# 4. start-up to /health 200 against gunicorn, alternating rounds
ROUNDS="${STARTUP_ROUNDS:-3}" "$here/startup.sh" | tee -a "$out/summary.txt"
