#!/usr/bin/env bash
# Load test (wrk, 127.0.0.1 only, bounded duration): forkserve's echo API with 2 workers versus
# the Python recipe (FastAPI + gunicorn, 2 uvicorn workers, prometheus_client multiprocess) and
# the ceiling (bare Undertow + Jackson echo in one process), all in the same run, with the resident
# memory of each process after its load; then start-up against gunicorn (startup.sh, 3 rounds).
#
#   benchmarks/load/run.sh            # 10 s per target, 64 connections
#   DURATION=30s CONNECTIONS=64 benchmarks/load/run.sh
#   benchmarks/load/run.sh jvm-metrics  # JVM metrics sampler on vs off (jvm-metrics.sh)
#   ONLY=echo,ceiling benchmarks/load/run.sh   # some targets: echo, python, ceiling, startup
#   ROUNDS=3 ONLY=echo,ceiling benchmarks/load/run.sh  # alternating rounds, medians at the end
#   COUNT=1 benchmarks/load/run.sh     # also syscalls, context switches and CPU per request (perf)
#
# Results: a table on stdout and the raw wrk output in bench-out/load/.
set -euo pipefail
if [ "${1:-}" = jvm-metrics ]; then exec "$(dirname "$0")/jvm-metrics.sh"; fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
here="$root/benchmarks/load"
out="$root/bench-out/load"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
py=/usr/bin/python3
only=",${ONLY:-echo,python,ceiling,startup},"
rounds="${ROUNDS:-1}"
count="${COUNT:-0}"
wanted() { [[ "$only" == *",$1,"* ]]; }
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

# Per-request syscalls and context switches of a process and its children (COUNT=1): perf stat
# over the measured wrk run, divided by the requests wrk completed.
count_start() { # name pid...
  local name="$1"; shift
  counted=()
  [ "$count" = 1 ] || return 0
  command -v perf >/dev/null || { echo "run.sh: COUNT=1 needs perf" >&2; return 1; }
  local pid role
  for pid in "$@"; do
    role=front; [ "$pid" = "$1" ] || role="worker-$pid"
    perf stat -x, -e raw_syscalls:sys_enter,context-switches,task-clock -p "$pid" \
      -o "$out/$name.perf-$role.txt" -- sleep "${duration%s}" 2>/dev/null &
    counted+=("$role:$!")
  done
}

count_report() { # name requests
  local name="$1" requests="$2" entry role pid sys cs cpu total=0
  for entry in "${counted[@]}"; do
    role="${entry%%:*}"; pid="${entry#*:}"
    wait "$pid" || true
    sys=$(awk -F, '/raw_syscalls/ {print $1}' "$out/$name.perf-$role.txt")
    cs=$(awk -F, '/context-switches/ {print $1}' "$out/$name.perf-$role.txt")
    cpu=$(awk -F, '/task-clock/ {print $1}' "$out/$name.perf-$role.txt")  # ms of CPU
    total=$(echo "$total + $cpu" | bc -l)
    printf '  %-32s %8.2f syscalls/req %8.2f context switches/req %8.1f us CPU/req\n' "$role" \
      "$(echo "$sys / $requests" | bc -l)" "$(echo "$cs / $requests" | bc -l)" \
      "$(echo "$cpu * 1000 / $requests" | bc -l)" | tee -a "$out/summary.txt"
  done
  [ ${#counted[@]} -eq 0 ] || printf '  %-32s %8.1f us CPU/req\n' "all processes" \
    "$(echo "$total * 1000 / $requests" | bc -l)" | tee -a "$out/summary.txt"
}

measure() { # name url [pid...]: the pids (front first) are counted with COUNT=1
  local name="$1" url="$2"
  shift 2
  wrk -t"$threads" -c"$connections" -d3s -s "$here/post.lua" "$url" >/dev/null  # warm-up
  count_start "$name" "$@"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$here/post.lua" "$url" \
    > "$out/$name.txt"
  local rps p50 p99 errors requests
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$out/$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$out/$name.txt")
  requests=$(awk '/requests in/ {print $1}' "$out/$name.txt")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$out/$name.txt" | tr '\n' ' ')
  printf '%-34s %12s %10s %10s  %s\n' "$name" "$rps" "$p50" "$p99" "$errors" | tee -a "$out/summary.txt"
  count_report "$name" "$requests"
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

worker_pids() { # the java children of a bin/serve pid
  pgrep -P "$1" java | tr '\n' ' '
}

for round in $(seq 1 "$rounds"); do
  suffix=""; [ "$rounds" = 1 ] || suffix=" #$round"

  # 1. forkserve, echo API, 2 workers
  if wanted echo; then
    port=$(free_port)
    "$root/bin/serve" --workers 2 --port "$port" > "$out/forkserve.log" 2>&1 &
    pids+=($!)
    await_url "http://127.0.0.1:$port/health"
    # shellcheck disable=SC2046
    measure "forkserve echo, 2 workers$suffix" "http://127.0.0.1:$port/predict" \
      "${pids[-1]}" $(worker_pids "${pids[-1]}")
    rss "forkserve echo, 2 workers$suffix" "${pids[-1]}"
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  fi

  # 2. the Python recipe
  if wanted python; then
    port=$(free_port)
    prom_dir=$(mktemp -d)
    (cd "$here" && PROMETHEUS_MULTIPROC_DIR="$prom_dir" exec "$py" -m gunicorn -w 2 \
      -k uvicorn.workers.UvicornWorker -c gunicorn_conf.py -b "127.0.0.1:$port" \
      python_recipe:app) > "$out/python.log" 2>&1 &
    pids+=($!)
    await_url "http://127.0.0.1:$port/predict" POST
    measure "python recipe (gunicorn+uvicorn x2)$suffix" "http://127.0.0.1:$port/predict"
    rss "python recipe (gunicorn+uvicorn x2)$suffix" "${pids[-1]}"
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
    rm -rf "$prom_dir"
  fi

  # 3. the ceiling: bare Undertow + Jackson, one process
  if wanted ceiling; then
    port=$(free_port)
    java -cp "$root/runtime/target/lib/*" "$here/BareEcho.java" "$port" > "$out/bare.log" 2>&1 &
    pids+=($!)
    await_url "http://127.0.0.1:$port/predict" POST
    measure "ceiling: bare Undertow+Jackson$suffix" "http://127.0.0.1:$port/predict" "${pids[-1]}"
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  fi
done

if [ "$rounds" != 1 ]; then # medians of the rounds, by target
  awk '/ #[0-9]+ / && $0 !~ /^  / && $0 !~ /RSS after/ {
         name = $0; sub(/ #[0-9]+ .*/, "", name)
         n = split(substr($0, index($0, "#")), f, " ")
         rps[name] = rps[name] " " f[2]; p99[name] = p99[name] " " ms(f[4])
       }
       function ms(t,  v) { v = t + 0
         if (t ~ /us$/) return v / 1000; if (t ~ /ms$/) return v; if (t ~ /s$/) return v * 1000
         return v }
       END { for (t in rps) print t "|" rps[t] "|" p99[t] }' "$out/summary.txt" |
    while IFS='|' read -r name r q; do
      printf 'median of %d rounds: %-34s %12s req/s  p99 %s ms\n' "$rounds" "$name" \
        "$(echo $r | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
        "$(echo $q | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
        | tee -a "$out/summary.txt"
    done
fi

# 4. start-up to /health 200 against gunicorn, alternating rounds
wanted startup || exit 0
ROUNDS="${STARTUP_ROUNDS:-3}" "$here/startup.sh" | tee -a "$out/summary.txt"
