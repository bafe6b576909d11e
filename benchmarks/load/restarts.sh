#!/usr/bin/env bash
# Worker restart times of a real server (echo, 2 workers): ROUNDS (default 3) times, `kill -9` of
# one worker and the time until /info shows a new pid in its slot, ready, and /health is 200;
# then the time of a rolling reload of both workers (POST /admin/reload until every slot has a
# new pid and /health is 200), and of SIGTERM on the idle server until it exited (the server
# runs with `--drain-delay 0`: the default 5 s for load balancers would be most of it). Polls
# every 20 ms. The whole run holds /tmp/bench.lock.
#
#   benchmarks/load/restarts.sh
#   ROUNDS=5 benchmarks/load/restarts.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
hold_bench_lock "$0" "$@"
rounds="${ROUNDS:-3}"
port=$(free_port)
export FORKSERVE_ADMIN_TOKEN
FORKSERVE_ADMIN_TOKEN="bench-$RANDOM$RANDOM"
out="$root/bench-out/restarts"
mkdir -p "$out"
"$root/bin/serve" --port "$port" --workers 2 --drain-delay 0 > "$out/server.log" 2>&1 &
server=$!
trap 'kill -9 "$server" 2>/dev/null || true' EXIT

# the workers' pids by slot, "pid0 pid1", once /health is 200 and every slot is ready
ready_pids() {
  python3 - "$port" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
    info = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/info", timeout=2))
except Exception:
    sys.exit(1)
workers = info["apis"][0]["workers"] if "apis" in info else info["workers"]
if not all(w.get("ready") for w in workers):
    sys.exit(1)
print(" ".join(str(w["pid"]) for w in workers))
PY
}

# waits until ready_pids differs from $1 in every slot listed in $2 ("0", "0 1"); prints seconds
await_new() { # old_pids slots start_ns
  local old=($1) now pids
  while true; do
    if pids=$(ready_pids); then
      local new=($pids) all=1
      for s in $2; do [ "${new[$s]}" != "${old[$s]}" ] || all=0; done
      if [ "$all" = 1 ]; then
        now=$(date +%s%N)
        awk -v a="$3" -v b="$now" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }'
        return
      fi
    fi
    sleep 0.02
  done
}

deadline=$(( $(date +%s) + 300 ))
until pids=$(ready_pids); do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "server not ready: $out/server.log" >&2; exit 1; }
  sleep 0.1
done
for round in $(seq 1 "$rounds"); do
  old=($pids)
  start=$(date +%s%N)
  kill -9 "${old[0]}"
  echo "kill -9 of worker 0, round $round: $(timeout 120 bash -c "$(declare -f ready_pids await_new); port=$port; await_new '$pids' 0 $start") s"
  pids=$(ready_pids)
done
start=$(date +%s%N)
curl -sf -X POST -H "Authorization: Bearer $FORKSERVE_ADMIN_TOKEN" \
  "http://127.0.0.1:$port/admin/reload" > /dev/null
echo "reload of both workers: $(timeout 120 bash -c "$(declare -f ready_pids await_new); port=$port; await_new '$pids' '0 1' $start") s"
start=$(date +%s%N)
kill -TERM "$server"
wait "$server" || true
end=$(date +%s%N)
trap - EXIT
echo "SIGTERM to exit (idle): $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }') s"
