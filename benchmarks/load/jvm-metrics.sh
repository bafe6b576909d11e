#!/usr/bin/env bash
# Cost of the process/JVM metrics sampler (issue 11): forkserve's echo API, 2 workers, with the
# sampler on and with --no-jvm-metrics, in alternating rounds of the same run (on, off, on, off,
# ...), each round a fresh server, a 3 s wrk warm-up and a DURATION measurement. Prints each
# round, the summed requests of each side and their ratio; then the CPU time the sampler threads
# (forkserve-jvm-metrics) of the front and the workers used per second of the last "on" round,
# read from /proc/PID/task/TID/stat.
#
#   benchmarks/load/run.sh jvm-metrics          # 4 rounds per side, 10 s each, 64 connections
#   ROUNDS=6 DURATION=20s benchmarks/load/jvm-metrics.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
here="$root/benchmarks/load"
out="$root/bench-out/load"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
rounds="${ROUNDS:-4}"
mkdir -p "$out"
need_wrk jvm-metrics.sh

server=""
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT


# CPU seconds (utime + stime, 100 ticks/s) of the threads named forkserve-jvm-m* of the server
# and its workers.
sampler_cpu() {
  local total=0 pid task
  for pid in "$server" $(pgrep -P "$server" || true); do
    for task in /proc/"$pid"/task/*; do
      if [[ "$(cat "$task/comm" 2>/dev/null)" == forkserve-jvm-m* ]]; then
        total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "$task/stat")))
      fi
    done
  done
  echo "$total"
}

on_sum=0; off_sum=0
: > "$out/jvm-metrics.txt"
for round in $(seq 1 "$rounds"); do
  for side in on off; do
    port=$(free_port)
    flags=(--workers 2 --port "$port")
    [ "$side" = off ] && flags+=(--no-jvm-metrics)
    "$root/bin/serve" "${flags[@]}" > "$out/jvm-metrics-$side.log" 2>&1 &
    server=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ]; do
      sleep 0.05
    done
    wrk -t"$threads" -c"$connections" -d3s -s "$here/post.lua" "http://127.0.0.1:$port/predict" >/dev/null
    cpu_before=$(sampler_cpu); t0=$(date +%s%N)
    wrk -t"$threads" -c"$connections" -d"$duration" -s "$here/post.lua" \
      "http://127.0.0.1:$port/predict" > "$out/jvm-metrics-$side-$round.txt"
    cpu_after=$(sampler_cpu); t1=$(date +%s%N)
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/jvm-metrics-$side-$round.txt")
    if [ "$side" = on ]; then
      on_sum=$(awk -v a="$on_sum" -v b="$rps" 'BEGIN {print a + b}')
      sampler_ms=$(awk -v c=$((cpu_after - cpu_before)) -v t=$((t1 - t0)) \
        'BEGIN {printf "%.2f", c * 10 / (t / 1e9)}')
    else
      off_sum=$(awk -v a="$off_sum" -v b="$rps" 'BEGIN {print a + b}')
    fi
    printf 'round %d, sampler %-3s %12s req/s\n' "$round" "$side" "$rps" | tee -a "$out/jvm-metrics.txt"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
  done
done
awk -v on="$on_sum" -v off="$off_sum" -v n="$rounds" 'BEGIN {
  printf "sampler on: %.0f req/s, off: %.0f req/s (mean of %d rounds each), on/off = %.4f\n",
    on / n, off / n, n, on / off }' | tee -a "$out/jvm-metrics.txt"
echo "sampler threads (front + 2 workers), last on round: ${sampler_ms} ms CPU per second" \
  | tee -a "$out/jvm-metrics.txt"
