#!/usr/bin/env bash
# Start-up: time from the command to the first GET /health 200, in alternating rounds of
#   forkserve echo       bin/serve --workers 2
#   gunicorn             the Python recipe, gunicorn with 2 uvicorn workers (python_recipe.py)
#   forkserve classifier bin/serve --workers 2 with SpiralClassifierApi (examples/)
# then the median of each and the ratios to gunicorn. The classifier's setup (training its
# network, in each worker at once) is taken from the workers' "setup N s" lines and subtracted
# for the comparison; it is printed beside it. A first bin/serve before the rounds builds the
# class-data archive of these jars (bin/lib/launch.sh), as the first run of a build does.
# Beside the wall time: forkserve's /health/ready 200 (one ready worker, --min-ready-workers 1:
# what gunicorn's /health means, since its socket is served by whichever worker is up first;
# forkserve's /health waits for every worker), and the CPU each server used up to its /health
# 200 (utime + stime of the server process and of its child processes, from /proc), which other
# engineers' load on a shared machine does not inflate as it does the wall time. The probes are
# made by bash itself (/dev/tcp), not by a curl process each, so that polling every 10 ms takes
# little of the CPU the servers start with.
#
#   benchmarks/load/startup.sh            # 5 rounds
#   ROUNDS=9 benchmarks/load/startup.sh
#   PROFILE=1 benchmarks/load/startup.sh  # + per-process, per-thread CPU at the 200 in bench-out/
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


# status PORT PATH: the HTTP status of GET PATH on 127.0.0.1:PORT, or 000 (no fork: /dev/tcp)
status() {
  local line code=000
  if exec 3<>"/dev/tcp/127.0.0.1/$1"; then
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS=' ' read -r -t 5 _ code _ <&3 || code=000
    exec 3<&-
  fi 2>/dev/null
  echo "$code"
}

# cpu_ms PID: CPU (user + system) of PID and of its child processes so far, in ms
cpu_ms() {
  local hz kids
  hz=$(getconf CLK_TCK)
  kids=$(pgrep -P "$1" | sed 's|.*|/proc/&/stat|' || true)
  # shellcheck disable=SC2086
  cat "/proc/$1/stat" $kids 2>/dev/null \
    | awk -v hz="$hz" '{sub(/^.*\) /, ""); t += $12 + $13} END {printf "%d", t * 1000 / hz}'
}

# profile PID: for PID and each of its child processes, when it started (ms after PID), its CPU
# ms and its threads' CPU ms, busiest first (PROFILE=1 writes one per server and round)
profile() {
  local hz p t0
  hz=$(getconf CLK_TCK)
  t0=$(awk '{sub(/^.*\) /, ""); print $20}' "/proc/$1/stat")
  for p in "$1" $(pgrep -P "$1" || true); do
    awk -v hz="$hz" -v t0="$t0" -v pid="$p" '{sub(/^.*\) /, "")
      printf "process %s: started at +%d ms, CPU %d ms (user %d, system %d)\n", pid,
        ($20 - t0) * 1000 / hz, ($12 + $13) * 1000 / hz, $12 * 1000 / hz, $13 * 1000 / hz}' \
      "/proc/$p/stat"
    for t in /proc/"$p"/task/*; do
      awk -v hz="$hz" '{n = $0; sub(/^[^(]*\(/, "", n); sub(/\) .*$/, "", n); sub(/^.*\) /, "")
        printf "  %6d ms  %s\n", ($12 + $13) * 1000 / hz, n}' "$t/stat"
    done | sort -rn | awk '$1 > 0'
  done 2>/dev/null
}

# timed NAME PORT CMD...: runs CMD in the background; prints the ms to /health/ready 200 (0 when
# CMD has no such path), the ms to /health 200 and the CPU ms to that /health 200, then stops it
timed() {
  local name="$1" port="$2" start ready=0 end cpu pid i
  shift 2
  start=$(date +%s%N)
  "$@" > "$out/$name.log" 2>&1 &
  pid=$!
  for i in $(seq 1 60000); do
    if [ "$ready" = 0 ] && [ "$name" != gunicorn ] && [ "$(status "$port" /health/ready)" = 200 ]
    then
      ready=$(( ($(date +%s%N) - start) / 1000000 ))
    fi
    [ "$(status "$port" /health)" = 200 ] && break
    kill -0 "$pid" 2>/dev/null \
      || { echo "startup.sh: $name exited; see $out/$name.log" >&2; exit 1; }
    sleep 0.01
  done
  end=$(date +%s%N)
  cpu=$(cpu_ms "$pid")
  [ -n "${PROFILE:-}" ] && profile "$pid" > "$out/profile-$name-$round.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "$ready" = 0 ] && [ "$name" != gunicorn ] && ready=$(((end - start) / 1000000))
  echo "$ready $(((end - start) / 1000000)) $cpu"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }
median_ms() { median | awk '{print int($1)}'; }  # whole milliseconds

port=$(free_port)
"$root/bin/serve" --help > /dev/null  # builds the class-data archive if this build has none
: > "$out/rounds.txt"
# round, then for echo, gunicorn and the classifier: ms to /health/ready, ms to /health, CPU ms;
# then the classifier's setup ms
for round in $(seq 1 "$rounds"); do
  port=$(free_port)
  echo_t=$(timed echo "$port" "$root/bin/serve" --workers 2 --port "$port" --drain-delay 0)
  port=$(free_port)
  prom_dir=$(mktemp -d)
  py_t=$(cd "$here" && timed gunicorn "$port" env PROMETHEUS_MULTIPROC_DIR="$prom_dir" \
    "$py" -m gunicorn -w 2 -k uvicorn.workers.UvicornWorker -c gunicorn_conf.py \
    -b "127.0.0.1:$port" python_recipe:app)
  rm -rf "$prom_dir"
  port=$(free_port)
  cls_t=$(timed classifier "$port" "$root/bin/serve" --workers 2 --port "$port" --drain-delay 0 \
    --api io.forkserve.examples.SpiralClassifierApi --jar "${examples[0]}")
  # the longer of the two workers' setups (they train at the same time)
  setup_ms=$(sed -n -E 's/.*\(setup ([0-9.]+) s,.*/\1/p' "$out/classifier.log" \
    | awk '{ms = $1 * 1000; if (ms > m) m = ms} END {printf "%d", m}')
  echo "$round $echo_t $py_t $cls_t $setup_ms" | tee -a "$out/rounds.txt"
done
col() { awk "{print $1}" "$out/rounds.txt" | median_ms; }
er=$(col '$2'); e=$(col '$3'); ec=$(col '$4')
p=$(col '$6'); pc=$(col '$7')
cr=$(col '$8 - $11'); c=$(col '$9 - $11'); cc=$(col '$10'); s=$(col '$11')
printf 'to /health 200, median of %d alternating rounds (ms; CPU ms of the server and\n' "$rounds"
printf 'its workers up to that 200; /health/ready: one worker ready):\n'
printf '  forkserve echo, 2 workers                %6d  (%.2fx gunicorn)' "$e" "$(ratio "$e" "$p")"
printf '; /health/ready %d ms (%.2fx); CPU %d ms (%.2fx)\n' \
  "$er" "$(ratio "$er" "$p")" "$ec" "$(ratio "$ec" "$pc")"
printf '  gunicorn + 2 uvicorn workers             %6d  CPU %d ms\n' "$p" "$pc"
printf '  forkserve classifier, setup excluded     %6d  (%.2fx gunicorn; setup %d ms)' \
  "$c" "$(ratio "$c" "$p")" "$s"
printf '; /health/ready %d ms (%.2fx); CPU %d ms with setup\n' "$cr" "$(ratio "$cr" "$p")" "$cc"
