#!/usr/bin/env bash
# Runs the chaos suite (runtime ChaosIT: a real Prometheus scraping forkserve under mixed load,
# SIGKILLed workers, bad files and bin/metrics merge) for SECONDS of load (default 300) and the
# restart soak (ArchiveRestartsIT with RESTARTS recycles, default 1000; the CI run does 20), and
# prints the chaos figures. Usage: [RESTARTS=N] benchmarks/chaos/run.sh [SECONDS]
# The per-test JUnit timeouts are off here (a soak is long by design); the failsafe fork timeout
# still ends a hang.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-300}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]  (whole seconds of load)" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/prometheus ] || ! command -v promtool >/dev/null; then
  echo "chaos: installing prometheus" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends prometheus >/dev/null
fi
status=0
restarts="${RESTARTS:-1000}"
mvn -B -ntp -q -pl runtime -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='ChaosIT,ArchiveRestartsIT' -Dfailsafe.failIfNoSpecifiedTests=false \
  -Djunit.jupiter.execution.timeout.mode=disabled \
  -Dfailsafe.forkTimeout=$((seconds * 4 + restarts * 10 + 1800)) \
  -Dforkserve.chaos.seconds="$seconds" -Dforkserve.restarts="$restarts" || status=$?
echo "--- runtime/target/chaos-report.txt"
cat runtime/target/chaos-report.txt
exit "$status"
