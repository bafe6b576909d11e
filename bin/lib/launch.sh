# Sourced by bin/serve and bin/metrics: builds the jars on a fresh clone, then runs a main class
# of the runtime module with the JVM options lmdbjava needs.
forkserve_launch() {
  local main="$1"
  shift
  local root lib jars java_bin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  lib="$root/runtime/target/lib"
  shopt -s nullglob
  jars=("$root"/runtime/target/forkserve-runtime-*.jar)
  if [ ${#jars[@]} -eq 0 ] || [ ! -d "$lib" ]; then
    forkserve_build "$root"
    jars=("$root"/runtime/target/forkserve-runtime-*.jar)
  fi
  java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  # shellcheck disable=SC2086
  exec "$java_bin" ${FORKSERVE_JVM_OPTS:-} \
    --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
    -Djava.util.logging.SimpleFormatter.format='%4$s: %5$s%6$s%n' \
    -cp "${jars[0]}:$lib/*" "$main" "$@"
}

# `mvn install` of the modules a server runs from (runtime, the examples and what they need, so
# that forkserve-worker is in the local Maven repository for APIs built outside this tree; not the
# benchmarks, which `mvn -pl benchmarks -am package` builds), tests not compiled, printing one line
# per module as it starts; the full log is kept only when the build fails.
forkserve_build() {
  local root="$1" log
  set -o pipefail
  log="$(mktemp "${TMPDIR:-/tmp}/forkserve-build.XXXXXX")"
  echo "forkserve: building on first run (about a minute)" >&2
  if ! mvn -B -ntp -Dstyle.color=never -Dmaven.test.skip=true -pl runtime,examples -am \
      -f "$root/pom.xml" install 2>&1 </dev/null \
      | tee "$log" \
      | sed -u -n -E 's/^\[INFO\] Building (forkserve )?(.+) [^ ]+ +\[([0-9]+)\/([0-9]+)\]$/forkserve: building \2 (\3 of \4)/p' >&2
  then
    tail -n 30 "$log" >&2
    echo "forkserve: build failed; full log in $log" >&2
    exit 1
  fi
  rm -f "$log"
  echo "forkserve: build done" >&2
}
