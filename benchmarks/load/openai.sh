#!/usr/bin/env bash
# Chat tokens per second through the OpenAI-compatible route, side by side in one run,
# alternating rounds, same server, same generator (examples/openai.yaml's charlm, one worker):
# "stream": true (server-sent events, one chunk per token, ending in data: [DONE]) against the
# same number of tokens answered as one whole chat.completion.
#
#   benchmarks/load/openai.sh                  # 3 rounds of 50,000 tokens each way
#   ROUNDS=5 TOKENS=100000 benchmarks/load/openai.sh
#
# Results on stdout (median of the rounds and the ratio); raw numbers in bench-out/openai/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
out="$root/bench-out/openai"
rounds="${ROUNDS:-3}"
tokens="${TOKENS:-50000}"
py=/usr/bin/python3
mkdir -p "$out"
if ! ls "$root"/runtime/target/lib/*.jar >/dev/null 2>&1 \
  || [ ! -f "$root/examples/target/forkserve-examples-0.1.0-SNAPSHOT.jar" ]; then
  mvn -q -B -ntp -DskipTests -f "$root/pom.xml" package
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cd "$root"
bin/serve --config examples/openai.yaml --port "$port" > "$out/server.log" 2>&1 &
pids+=($!)
curl -sf -o /dev/null --retry 300 --retry-connrefused --retry-delay 1 "http://127.0.0.1:$port/health"
url="http://127.0.0.1:$port/v1/chat/completions"

tps() { # stream(true|false)
  local body start end got
  body="{\"model\": \"charlm\", \"max_tokens\": $tokens, \"stream\": $1, \"seed\": 1,
         \"messages\": [{\"role\": \"user\", \"content\": \"The harbour\"}]}"
  start=$(date +%s%N)
  if [ "$1" = true ]; then
    got=$(curl -sfN "$url" -H 'Content-Type: application/json' -d "$body" \
      | grep -c '"delta":{"content":"')
  else
    got=$(curl -sf "$url" -H 'Content-Type: application/json' -d "$body" \
      | grep -o '"completion_tokens":[0-9]*' | cut -d: -f2)
  fi
  end=$(date +%s%N)
  [ "$got" = "$tokens" ] || { echo "openai.sh: stream=$1 gave $got of $tokens tokens" >&2; exit 1; }
  awk -v n="$tokens" -v ns=$((end - start)) 'BEGIN {printf "%.0f\n", n / (ns / 1e9)}'
}
tps true > /dev/null; tps false > /dev/null   # warm-up
: > "$out/sse.txt"; : > "$out/whole.txt"
for round in $(seq 1 "$rounds"); do
  tps true >> "$out/sse.txt"
  tps false >> "$out/whole.txt"
done
sse=$(median < "$out/sse.txt"); whole=$(median < "$out/whole.txt")
printf '%-52s %12s %12s %8s\n' "" "SSE" "whole" "ratio"
printf '%-52s %12s %12s %8s\n' "chat tokens/s, $tokens tokens, median of $rounds rounds" \
  "$sse" "$whole" "$(awk -v a="$sse" -v b="$whole" 'BEGIN {printf "%.2f", a / b}')"
echo "rounds: sse $(tr '\n' ' ' < "$out/sse.txt")| whole $(tr '\n' ' ' < "$out/whole.txt")"
