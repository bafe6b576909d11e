# shellcheck shell=bash
# Sourced by the JMH scripts. Set $jar to benchmarks.jar first.
#
# JMH allows one run per machine (/tmp/jmh.lock). run_jmh LOG ARGS... runs `java -jar $jar ARGS`
# with its output in LOG and, while another run holds the lock, waits (up to 30 min) instead of
# failing; any other failure prints LOG and returns 1.
run_jmh() {
  local log=$1 waited=0
  shift
  until java -jar "$jar" "$@" >"$log" 2>&1; do
    if ! grep -q 'Unable to acquire the JMH lock' "$log" || ((waited >= 1800)); then
      cat "$log" >&2
      return 1
    fi
    ((waited == 0)) && echo "waiting for another JMH run to finish (/tmp/jmh.lock)"
    sleep 10
    waited=$((waited + 10))
  done
}

# Builds $jar (benchmarks and what it needs, no tests) when it is missing; $1 is the repository.
build_jmh_jar() {
  if [[ ! -f "$jar" ]]; then
    (cd "$1" && mvn -B -ntp -q -pl benchmarks -am package -DskipTests)
  fi
}
