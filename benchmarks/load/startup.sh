#!/usr/bin/env bash
# Start-up: time from the command to the first GET /health 200, in alternating rounds of
#   forkserve echo       bin/serve --workers 2
#   gunicorn             the Python recipe, gunicorn with 2 uvicorn workers (python_recipe.py)
#   forkserve classifier bin/serve --workers 2 with SpiralClassifierApi (examples/)
# then the median of each and the ratios to gunicorn. The classifier's setup (training its
# network, in each worker at once) is taken from the workers' "setup N s" lines and subtracted
# for the comparison; it is printed beside it. A first bin/serve before the rounds builds the
# class-data archive of these jars (bin/lib/launch.sh), as the first run of a build does.
#
#   benchmarks/load/startup.sh            # 5 rounds
#   ROUNDS=9 benchmarks/load/startup.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../lib/load.sh
. "$root/benchmarks/lib/load.sh"
here="$root/benchmarks/load"
out="$root/bench-out/startup"
rounds="${ROUNDS:-5}"
py=/usr/bin/python3
mkdir -p "$out"
shopt -s nullglob
examples=("$root"/examples/target/forkserve-examples-*-SNAPSHOT.jar)
if [ ${#examples[@]} -eq 0 ]; then
  mvn -q -B -ntp -DskipTests -f "$root/pom.xml" -pl examples -am install
  examples=("$root"/examples/target/forkserve-examples-*-SNAPSHOT.jar)
fi


# timed NAME PORT CMD...: runs CMD in the background, prints the ms to /health 200, stops it
timed() {
  local name="$1" port="$2" start end pid i
  shift 2
  start=$(date +%s%N)
  "$@" > "$out/$name.log" 2>&1 &
  pid=$!
  for i in $(seq 1 60000); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || { echo "startup.sh: $name exited; see $out/$name.log" >&2; exit 1; }
    sleep 0.01
  done
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo $(((end - start) / 1000000))
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }
median_ms() { median | awk '{print int($1)}'; }  # whole milliseconds

port=$(free_port)
"$root/bin/serve" --help > /dev/null  # builds the class-data archive if this build has none
: > "$out/rounds.txt"
for round in $(seq 1 "$rounds"); do
  port=$(free_port)
  echo_ms=$(timed echo "$port" "$root/bin/serve" --workers 2 --port "$port" --drain-delay 0)
  port=$(free_port)
  prom_dir=$(mktemp -d)
  py_ms=$(cd "$here" && timed gunicorn "$port" env PROMETHEUS_MULTIPROC_DIR="$prom_dir" \
    "$py" -m gunicorn -w 2 -k uvicorn.workers.UvicornWorker -c gunicorn_conf.py \
    -b "127.0.0.1:$port" python_recipe:app)
  rm -rf "$prom_dir"
  port=$(free_port)
  cls_ms=$(timed classifier "$port" "$root/bin/serve" --workers 2 --port "$port" --drain-delay 0 \
    --api io.forkserve.examples.SpiralClassifierApi --jar "${examples[0]}")
  # the longer of the two workers' setups (they train at the same time)
  setup_ms=$(sed -n -E 's/.*\(setup ([0-9.]+) s,.*/\1/p' "$out/classifier.log" \
    | awk '{ms = $1 * 1000; if (ms > m) m = ms} END {printf "%d", m}')
  printf '%d %d %d %d %d\n' "$round" "$echo_ms" "$py_ms" "$cls_ms" "$setup_ms" \
    | tee -a "$out/rounds.txt"
done
e=$(awk '{print $2}' "$out/rounds.txt" | median_ms)
p=$(awk '{print $3}' "$out/rounds.txt" | median_ms)
c=$(awk '{print $4 - $5}' "$out/rounds.txt" | median_ms)
s=$(awk '{print $5}' "$out/rounds.txt" | median_ms)
printf 'to /health 200, median of %d alternating rounds (ms):\n' "$rounds"
printf '  forkserve echo, 2 workers                %6d  (%.2fx gunicorn)\n' "$e" "$(ratio "$e" "$p")"
printf '  gunicorn + 2 uvicorn workers             %6d\n' "$p"
printf '  forkserve classifier, setup excluded     %6d  (%.2fx gunicorn; setup %d ms)\n' \
  "$c" "$(ratio "$c" "$p")" "$s"
