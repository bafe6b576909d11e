#!/usr/bin/env bash
# Scrape cost of the workers' JVM metrics (issue 11): JvmScrapeBenchmark with jvm=off and jvm=on
# in alternating short JMH runs (off, on, off, on, ...), so that both sides see the same machine
# load; per round the ratio of the median scrape times (on / off), then the median of those
# ratios. SERIES: application series per worker (default 2000, the shape of compare.sh's
# directory).
#
#   benchmarks/scrape/jvm-compare.sh                 # 5 rounds, 2000 series per worker
#   ROUNDS=7 SERIES=100 benchmarks/scrape/jvm-compare.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
jar="$root/benchmarks/target/benchmarks.jar"
out="$root/bench-out/scrape"
rounds="${ROUNDS:-5}"
series="${SERIES:-2000}"
mkdir -p "$out"
# shellcheck source=../lib/jmh.sh
. "$root/benchmarks/lib/jmh.sh"
build_jmh_jar "$root"

run_side() { # side json
  run_jmh "$2.log" JvmScrapeBenchmark -p jvm="$1" -p series="$series" \
    -f 1 -wi 3 -w 1 -i 3 -r 1 -rf json -rff "$2"
}

median_ms() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["primaryMetric"]["scorePercentiles"]["50.0"])' "$1"; }

ratios=()
for round in $(seq 1 "$rounds"); do
  run_side off "$out/jvm-off-$round.json"
  run_side on "$out/jvm-on-$round.json"
  off=$(median_ms "$out/jvm-off-$round.json")
  on=$(median_ms "$out/jvm-on-$round.json")
  ratio=$(python3 -c "print(round($on / $off, 3))")
  ratios+=("$ratio")
  printf 'round %d: %s series/worker, median scrape off %.2f ms, on %.2f ms, on/off %s\n' \
    "$round" "$series" "$off" "$on" "$ratio" | tee -a "$out/jvm-compare.txt"
done
python3 -c 'import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print("median on/off over %d rounds: %.3f (min %.3f, max %.3f)" % (len(r), statistics.median(r), min(r), max(r)))' "${ratios[@]}" \
  | tee -a "$out/jvm-compare.txt"
