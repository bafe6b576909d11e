#!/usr/bin/env bash
# Runs the update benchmarks (HistogramObserveBenchmark, CounterIncBenchmark) with -prof gc in
# ROUNDS short JMH runs, ours and client_java's side by side in every run, and prints per shape
# the median ns/op of each, the median of the per-round ratios ours/client_java, and B/op.
# Repeating short rounds spreads the noise of a shared 2-core machine over both sides.
#
# Usage: benchmarks/micro/compare.sh [ROUNDS] [WORK_DIR]   (ROUNDS default 3)
# Environment: BENCHMARKS (regexp, default both), JMH_ARGS (default "-wi 2 -w 1 -i 3 -r 1").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jar="$root/benchmarks/target/benchmarks.jar"
rounds=${1:-3}
work=${2:-$(mktemp -d /tmp/forkserve-micro.XXXXXX)}
benchmarks=${BENCHMARKS:-'io.forkserve.benchmarks.(HistogramObserve|CounterInc)Benchmark'}
jmh_args=${JMH_ARGS:--wi 2 -w 1 -i 3 -r 1}

# shellcheck source=../lib/jmh.sh
. "$root/benchmarks/lib/jmh.sh"
build_jmh_jar "$root"
mkdir -p "$work"
echo "cpus: $(nproc); java: $(java -version 2>&1 | head -1); results in $work"
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2086
  run_jmh "$work/round-$round.log" "$benchmarks" -prof gc $jmh_args \
    -rf json -rff "$work/round-$round.json"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$here/summarize.py" "$work"/round-*.json
