#!/usr/bin/env bash
# Cost of configuring several APIs (wrk, 127.0.0.1 only, bounded duration): echo throughput of a
# one-API server (echo, 2 workers) against a server whose config lists 3 APIs (echo with 2
# workers, under load, and two idle echo APIs with 1 worker each). Both servers run side by side
# for the whole run and are measured in alternating rounds, so a change in machine load hits both
# alike; the ratio is of the summed requests over every round.
#
#   benchmarks/load/multi-api.sh                 # 20 s warm-up, then 6 rounds of 10 s per server
#   ROUNDS=8 DURATION=20s WARMUP=30s benchmarks/load/multi-api.sh
#
# The 3-API server starts twice the worker JVMs; on a busy machine their JIT warm-up takes many
# seconds, hence the long warm-up before the first round.
#
# CONTROL=1 makes the second server a one-API server too (an A/A run): its ratio shows how far
# apart two identical servers measure on this machine.
#
# Results: one line per round and the ratio on stdout; raw wrk output in bench-out/multi-api/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
here="$root/benchmarks/load"
out="$root/bench-out/multi-api"
duration="${DURATION:-10s}"
rounds="${ROUNDS:-6}"
warmup="${WARMUP:-20s}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
mkdir -p "$out"
need_wrk multi-api.sh

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT


await_health() {
  curl -sf -o /dev/null --retry 300 --retry-connrefused --retry-delay 1 --retry-all-errors "$1" || {
    echo "multi-api.sh: $1 never became healthy" >&2; return 1; }
}

config="$out/three-apis.yaml"
cat > "$config" <<'YAML'
apis:
  - name: echo
    path: /predict
    workers: 2
  - name: idle-a
    workers: 1
  - name: idle-b
    workers: 1
YAML

one=$(free_port)
"$root/bin/serve" --workers 2 --port "$one" > "$out/one-api.log" 2>&1 &
pids+=($!)
three=$(free_port)
if [ "${CONTROL:-0}" = 1 ]; then
  "$root/bin/serve" --workers 2 --port "$three" > "$out/three-apis.log" 2>&1 &
else
  "$root/bin/serve" --config "$config" --port "$three" > "$out/three-apis.log" 2>&1 &
fi
pids+=($!)
await_health "http://127.0.0.1:$one/health"
await_health "http://127.0.0.1:$three/health"

rps() { # name url
  wrk -t"$threads" -c"$connections" -d"$duration" -s "$here/post.lua" "$2" > "$out/$1.txt"
  if grep -q 'Non-2xx\|Socket errors' "$out/$1.txt"; then
    echo "multi-api.sh: errors in $out/$1.txt" >&2; exit 1
  fi
  awk '/Requests\/sec/ {print $2}' "$out/$1.txt"
}

for url in "http://127.0.0.1:$one/predict" "http://127.0.0.1:$three/predict"; do
  wrk -t"$threads" -c"$connections" -d"$warmup" -s "$here/post.lua" "$url" > /dev/null
done
sum_one=0; sum_three=0
second="3 APIs req/s"; [ "${CONTROL:-0}" = 1 ] && second="1 API (A/A)"
printf '%-6s %14s %14s %8s\n' round "1 API req/s" "$second" ratio | tee "$out/summary.txt"
for r in $(seq 1 "$rounds"); do
  # alternate which server goes first, so neither always follows the other
  if [ $((r % 2)) -eq 1 ]; then
    a=$(rps "one-$r" "http://127.0.0.1:$one/predict"); b=$(rps "three-$r" "http://127.0.0.1:$three/predict")
  else
    b=$(rps "three-$r" "http://127.0.0.1:$three/predict"); a=$(rps "one-$r" "http://127.0.0.1:$one/predict")
  fi
  sum_one=$(awk -v s="$sum_one" -v x="$a" 'BEGIN {print s + x}')
  sum_three=$(awk -v s="$sum_three" -v x="$b" 'BEGIN {print s + x}')
  printf '%-6s %14s %14s %8s\n' "$r" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')" \
    | tee -a "$out/summary.txt"
done
printf '%-6s %14.0f %14.0f %8s\n' all "$(awk -v s="$sum_one" -v n="$rounds" 'BEGIN {print s / n}')" \
  "$(awk -v s="$sum_three" -v n="$rounds" 'BEGIN {print s / n}')" \
  "$(awk -v a="$sum_one" -v b="$sum_three" 'BEGIN {printf "%.3f", b / a}')" | tee -a "$out/summary.txt"
