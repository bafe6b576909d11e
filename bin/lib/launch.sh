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
    echo "forkserve: building (first run)..." >&2
    mvn -q -B -ntp -Dstyle.color=never -DskipTests -f "$root/pom.xml" install >&2
    jars=("$root"/runtime/target/forkserve-runtime-*.jar)
  fi
  java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  # shellcheck disable=SC2086
  exec "$java_bin" ${FORKSERVE_JVM_OPTS:-} \
    --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
    -Djava.util.logging.SimpleFormatter.format='%4$s: %5$s%6$s%n' \
    -cp "${jars[0]}:$lib/*" "$main" "$@"
}
