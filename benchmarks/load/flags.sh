#!/usr/bin/env bash
# JVM defaults, old against new: the echo API with 2 workers under wrk (2 threads, 64
# connections, 3 s warm-up then DURATION), a fresh server per round, the two sides alternating
# (which goes first alternates too); after each round's load, the resident memory of the front
# and of each worker. Prints every round, then the medians of each side and their ratio.
#   old: FORKSERVE_JVM_OPTS and --worker-jvm-opts "-XX:+UseSerialGC -XX:-UsePerfData", no
#        class-data archive, glibc's own malloc arenas (8 per core)
#   new: bin/serve's defaults (docs/operations.md, "Memory and start-up")
# OLD=full-jit makes "old" bin/serve's defaults with the full JIT (C2) instead of C1 only, for
# front and workers: the trade-off of -XX:TieredStopAtLevel=1 alone.
#
#   benchmarks/load/flags.sh              # 4 rounds of 10 s
#   ROUNDS=6 DURATION=5s benchmarks/load/flags.sh
#   OLD=full-jit ROUNDS=4 DURATION=8s benchmarks/load/flags.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
here="$root/benchmarks/load"
out="$root/bench-out/flags"
rounds="${ROUNDS:-4}"
duration="${DURATION:-10s}"
old_opts="-XX:+UseSerialGC -XX:-UsePerfData"
full_jit_front="-XX:+UseSerialGC -XX:-UsePerfData -Xms8m -XX:MaxHeapFreeRatio=40"
full_jit_worker="-XX:+UseSerialGC -XX:-UsePerfData -Xms8m"
mkdir -p "$out"

mb() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# one SIDE ROUND: prints "SIDE ROUND req/s front_MB worker_MB worker_MB"
one() {
  local side="$1" round="$2" port pid rps workers=""
  port=$(free_port)
  if [ "$side" = old ] && [ "${OLD:-}" = full-jit ]; then
    env FORKSERVE_JVM_OPTS="$full_jit_front" \
      "$root/bin/serve" --workers 2 --port "$port" --drain-delay 0 --worker-jvm-opts "$full_jit_worker" \
      > "$out/$side-$round.log" 2>&1 &
  elif [ "$side" = old ]; then
    env FORKSERVE_CDS=off MALLOC_ARENA_MAX=16 FORKSERVE_JVM_OPTS="$old_opts" \
      "$root/bin/serve" --workers 2 --port "$port" --drain-delay 0 --worker-jvm-opts "$old_opts" \
      > "$out/$side-$round.log" 2>&1 &
  else
    "$root/bin/serve" --workers 2 --port "$port" --drain-delay 0 > "$out/$side-$round.log" 2>&1 &
  fi
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || { echo "flags.sh: server exited; $out/$side-$round.log" >&2; exit 1; }
    sleep 0.05
  done
  wrk -t2 -c64 -d3s -s "$here/post.lua" "http://127.0.0.1:$port/predict" > /dev/null
  wrk -t2 -c64 -d"$duration" -s "$here/post.lua" "http://127.0.0.1:$port/predict" \
    > "$out/$side-$round.wrk"
  rps=$(awk '/Requests\/sec/ {printf "%d", $2}' "$out/$side-$round.wrk")
  for w in $(pgrep -P "$pid"); do workers="$workers $(mb "$w")"; done
  echo "$side $round $rps $(mb "$pid")$workers"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

"$root/bin/serve" --help > /dev/null  # builds the class-data archive if this build has none
: > "$out/rounds.txt"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
  for side in $order; do one "$side" "$round" | tee -a "$out/rounds.txt"; done
done
for side in old new; do
  printf '%s: median %s req/s, front %s MB, worker %s MB\n' "$side" \
    "$(awk -v s="$side" '$1 == s {print $3}' "$out/rounds.txt" | median)" \
    "$(awk -v s="$side" '$1 == s {print $4}' "$out/rounds.txt" | median)" \
    "$(awk -v s="$side" '$1 == s {for (i = 5; i <= NF; i++) print $i}' "$out/rounds.txt" | median)"
done | tee "$out/medians.txt"
awk '{gsub(/req\/s,/, ""); v[$1] = $3} END {printf "new/old req/s: %.2f\n", v["new:"] / v["old:"]}' \
  "$out/medians.txt"
