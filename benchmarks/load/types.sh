#!/usr/bin/env bash
# Requests and streams beyond JSON, side by side in one run, alternating rounds:
#   1. a 100 KB binary upload echoed through 2 workers (io.forkserve.examples.BytesEchoApi)
#      against a bare Undertow handler echoing the same body in one process (BareEcho bytes);
#   2. tokens per second of one stream from io.forkserve.examples.TokenStreamApi as server-sent
#      events against NDJSON, same generator, same server.
#
#   benchmarks/load/types.sh                 # 3 rounds, 5 s per wrk target, 64 connections
#   ROUNDS=5 DURATION=10s benchmarks/load/types.sh
#
# Results: a table on stdout (median of the rounds and the ratio), raw output in bench-out/types/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
here="$root/benchmarks/load"
out="$root/bench-out/types"
duration="${DURATION:-5s}"
rounds="${ROUNDS:-3}"
connections="${CONNECTIONS:-64}"
threads="${THREADS:-2}"
tokens_repeat="${TOKENS_REPEAT:-25000}" # x 8 words = 200,000 tokens per stream
jar="$root/examples/target/forkserve-examples-0.1.0-SNAPSHOT.jar"
mkdir -p "$out"
need_wrk types.sh
if ! ls "$root"/runtime/target/lib/*.jar >/dev/null 2>&1 || [ ! -f "$jar" ]; then
  mvn -q -B -ntp -DskipTests -f "$root/pom.xml" package
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
await_health() { for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }

upload="$out/upload.bin"
head -c 102400 /dev/urandom > "$upload"
export UPLOAD_FILE="$upload"

fs_port=$(free_port)
"$root/bin/serve" --api io.forkserve.examples.BytesEchoApi --jar "$jar" --workers 2 \
  --port "$fs_port" > "$out/forkserve-bytes.log" 2>&1 &
pids+=($!)
bare_port=$(free_port)
java -cp "$root/runtime/target/lib/*" "$here/BareEcho.java" "$bare_port" bytes > "$out/bare.log" 2>&1 &
pids+=($!)
await_health "http://127.0.0.1:$fs_port/health" || { echo "types.sh: forkserve never healthy" >&2; exit 1; }
await_bare() { for _ in $(seq 1 600); do curl -sf -o /dev/null --data-binary @"$upload" "$1" && return 0; sleep 0.1; done; return 1; }
await_bare "http://127.0.0.1:$bare_port/" || { echo "types.sh: the bare echo never answered" >&2; exit 1; }
back=$(curl -sf --data-binary @"$upload" -H 'Content-Type: application/octet-stream' "http://127.0.0.1:$fs_port/predict" | cmp - "$upload" && echo same)
[ "$back" = same ] || { echo "types.sh: the echo did not return the upload" >&2; exit 1; }

wrk_rps() { # name url
  wrk -t"$threads" -c"$connections" -d"$duration" -s "$here/upload.lua" "$2" > "$out/$1.txt"
  if grep -q 'Non-2xx' "$out/$1.txt"; then echo "types.sh: errors in $1" >&2; cat "$out/$1.txt" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' "$out/$1.txt"
}
wrk -t"$threads" -c"$connections" -d2s -s "$here/upload.lua" "http://127.0.0.1:$fs_port/predict" > /dev/null
wrk -t"$threads" -c"$connections" -d2s -s "$here/upload.lua" "http://127.0.0.1:$bare_port/" > /dev/null
: > "$out/upload-forkserve.txt"; : > "$out/upload-bare.txt"
for round in $(seq 1 "$rounds"); do
  wrk_rps "fs-$round" "http://127.0.0.1:$fs_port/predict" >> "$out/upload-forkserve.txt"
  wrk_rps "bare-$round" "http://127.0.0.1:$bare_port/" >> "$out/upload-bare.txt"
done
kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()

st_port=$(free_port)
"$root/bin/serve" --api io.forkserve.examples.TokenStreamApi --jar "$jar" --workers 1 \
  --port "$st_port" > "$out/forkserve-stream.log" 2>&1 &
pids+=($!)
await_health "http://127.0.0.1:$st_port/health"
body="{\"prompt\": \"the quick brown fox jumps over lazy dogs\", \"repeat\": $tokens_repeat}"
tokens=$((tokens_repeat * 8))
stream_tps() { # accept
  local start end lines
  start=$(date +%s%N)
  lines=$(curl -sfN -H "Accept: $1" -d "$body" "http://127.0.0.1:$st_port/predict" | grep -c '"token"')
  end=$(date +%s%N)
  [ "$lines" = "$tokens" ] || { echo "types.sh: $1 stream had $lines of $tokens tokens" >&2; exit 1; }
  awk -v n="$tokens" -v ns=$((end - start)) 'BEGIN {printf "%.0f\n", n / (ns / 1e9)}'
}
stream_tps application/x-ndjson > /dev/null
: > "$out/stream-sse.txt"; : > "$out/stream-ndjson.txt"
for round in $(seq 1 "$rounds"); do
  stream_tps text/event-stream >> "$out/stream-sse.txt"
  stream_tps application/x-ndjson >> "$out/stream-ndjson.txt"
done

fs=$(median < "$out/upload-forkserve.txt"); bare=$(median < "$out/upload-bare.txt")
sse=$(median < "$out/stream-sse.txt"); nd=$(median < "$out/stream-ndjson.txt")
{
  printf '%-58s %14s %14s %8s\n' what forkserve baseline ratio
  printf '%-58s %14s %14s %8s\n' "100 KB upload echoed, 2 workers vs bare Undertow (req/s)" "$fs" "$bare" \
    "$(awk -v a="$fs" -v b="$bare" 'BEGIN {printf "%.2f", a / b}')"
  printf '%-58s %14s %14s %8s\n' "stream tokens/s, SSE vs NDJSON (same generator)" "$sse" "$nd" \
    "$(awk -v a="$sse" -v b="$nd" 'BEGIN {printf "%.2f", a / b}')"
  echo "rounds: $rounds (alternating); forkserve $(tr '\n' ' ' < "$out/upload-forkserve.txt")| bare $(tr '\n' ' ' < "$out/upload-bare.txt")| sse $(tr '\n' ' ' < "$out/stream-sse.txt")| ndjson $(tr '\n' ' ' < "$out/stream-ndjson.txt")"
} | tee "$out/summary.txt"
