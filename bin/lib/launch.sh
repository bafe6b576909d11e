# Sourced by bin/serve and bin/metrics: builds the jars on a fresh clone, then runs a main class
# of the runtime module with the JVM options lmdbjava needs and, when there is one for these jars,
# the class-data sharing archive (see forkserve_cds). The caller sets forkserve_default_opts (the
# JVM options used when FORKSERVE_JVM_OPTS is unset) and forkserve_cds_build=yes to build the
# archive when it is missing.
forkserve_launch() {
  local main="$1"
  shift
  local root lib jars java_bin cp archive opts
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  lib="$root/runtime/target/lib"
  shopt -s nullglob
  jars=("$root"/runtime/target/forkserve-runtime-*.jar)
  if [ ${#jars[@]} -eq 0 ] || [ ! -d "$lib" ]; then
    forkserve_build "$root"
    jars=("$root"/runtime/target/forkserve-runtime-*.jar)
  fi
  java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  cp="${jars[0]}:$lib/*"
  opts="${forkserve_default_opts:-}"
  if [ -n "${FORKSERVE_JVM_OPTS+set}" ]; then
    forkserve_check_opts "$java_bin" FORKSERVE_JVM_OPTS "$FORKSERVE_JVM_OPTS"
    opts="$FORKSERVE_JVM_OPTS"
  fi
  # glibc gives each thread that allocates its own malloc arena (64 MB of address space each, some
  # of it touched); two keep the resident memory of the front and its workers (which inherit it)
  # small. Set MALLOC_ARENA_MAX to raise it.
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  local cds_opts=()
  if [ "${FORKSERVE_CDS:-on}" != off ]; then
    archive="$(forkserve_cds "$root" "$java_bin" "$cp" "${forkserve_cds_build:-no}")"
    if [ -n "$archive" ]; then
      cds_opts=(-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0
        "-XX:SharedArchiveFile=$archive")
      # Workers get theirs through forkserve.cds.archive (WorkerJvmOptions), mapped the same way.
      if [ -f "${archive%.jsa}-worker.jsa" ]; then
        cds_opts+=("-Dforkserve.cds.archive=${archive%.jsa}-worker.jsa")
      fi
    fi
  fi
  # shellcheck disable=SC2086
  exec "$java_bin" "${cds_opts[@]}" $opts \
    --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
    -Djava.util.logging.SimpleFormatter.format='%4$s: %5$s%6$s%n' \
    -cp "$cp" "$main" "$@"
}

# Stops with one line when java refuses the options in $3 (named $2), instead of the JVM's three.
# Run only for options the user set: it costs one `java -version`.
forkserve_check_opts() {
  local java_bin="$1" name="$2" opts="$3" err
  # shellcheck disable=SC2086
  if ! err="$("$java_bin" $opts -version 2>&1 >/dev/null)"; then
    err="$(printf '%s\n' "$err" | grep -v '^Error: ' | head -n 1)"
    echo "forkserve: $name is refused by java: $err" >&2
    exit 2
  fi
}

# Class-data sharing (AppCDS). Most of a JVM's start-up CPU goes to loading and verifying classes;
# a static archive of the classes a server loads (JDK, Undertow, Jackson, ours) maps them ready
# made, which cuts the CPU of the front and of each worker at start-up by about a third. There
# are two, built from a training run (a server with one echo worker on a free port, one request
# and one scrape, then SIGTERM) whose JVMs list the classes they load, then `java -Xshare:dump`:
# the front's (forkserve-KEY.jsa, also used by bin/metrics) and the workers' (-worker.jsa), half
# the size, because a process keeps nearly all of the archive it maps resident.
# The archive is mapped at the address it was built for (-XX:ArchiveRelocationMode=0; Java 17's
# updates default to 1, a random address, which makes every JVM rewrite the pointers of all of
# its 30 MB at start: a few hundred ms of CPU and private copies of those pages in each process);
# when that address is taken the JVM relocates it as before. A 1 in FORKSERVE_JVM_OPTS or
# --worker-jvm-opts, which come later on the command line, puts the random address back.
# They are named by a checksum of the jars' and the java binary's names, sizes, inodes and
# modification times, so an archive of other jars is never used; a missing, unreadable or refused
# archive only means no sharing (the JVM falls back silently). FORKSERVE_CDS=off turns it off;
# FORKSERVE_CDS_DIR puts it elsewhere than runtime/target/cds (a read-only install). $4 = yes
# builds it when missing (bin/serve); else an existing one is used and none is built
# (bin/metrics). Prints the archive's path, or nothing.
forkserve_cds() {
  local root="$1" java_bin="$2" cp="$3" build="$4" dir key archive java_path
  dir="${FORKSERVE_CDS_DIR:-$root/runtime/target/cds}"
  java_path="$(command -v "$java_bin" 2>/dev/null)" || return 0
  java_path="$(readlink -f "$java_path")"
  # name, size, inode and mtime of each jar, as the JVM itself checks an archive's jars (reading
  # their 12 MB to hash them took about 0.1 s of every start)
  key="$(stat -L -c '%n %s %i %.9Y' "$root"/runtime/target/forkserve-runtime-*.jar \
    "$root"/runtime/target/lib/*.jar "$java_path" | sha1sum | cut -c1-16)"
  archive="$dir/forkserve-$key.jsa"
  if [ -f "$archive" ]; then
    echo "$archive"
    return 0
  fi
  if [ "$build" != yes ] || [ -e "$dir/forkserve-$key.failed" ] || ! command -v flock >/dev/null \
      || ! command -v curl >/dev/null; then
    return 0
  fi
  mkdir -p "$dir" || return 0
  # One builder at a time; a server started meanwhile runs without the archive.
  (
    flock -n 9 || exit 0
    [ -f "$archive" ] && exit 0
    forkserve_cds_build "$java_bin" "$cp" "$dir" "$key"
  ) 9>"$dir/.lock"
  if [ -f "$archive" ]; then
    echo "$archive"
  fi
}

# Builds $3/forkserve-$4-worker.jsa, then $3/forkserve-$4.jsa (whose presence means both are
# built); on failure leaves forkserve-$4.failed (with the log) so that later starts do not try
# again with the same jars.
forkserve_cds_build() {
  local java_bin="$1" cp="$2" dir="$3" key="$4" tmp pid port opens i quick
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/forkserve-cds.XXXXXX")"
  opens=(--add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED)
  echo "forkserve: building the class-data archive for these jars (once, a few seconds)" >&2
  # A clean environment: the training server must not see the user's metrics directory or flags.
  # The client compiler only: the run lasts a few seconds and would load the same classes with
  # C2, whose compile threads only add CPU.
  quick=(-XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1)
  env -i PATH="$PATH" HOME="${HOME:-/}" TMPDIR="${TMPDIR:-/tmp}" \
    "$java_bin" "${quick[@]}" "-XX:DumpLoadedClassList=$tmp/front.list" \
    "${opens[@]}" -cp "$cp" io.forkserve.runtime.Serve --port 0 --workers 1 --drain-delay 0 \
    --worker-jvm-opts "${quick[*]} -XX:DumpLoadedClassList=$tmp/worker.list" \
    > "$tmp/train.log" 2>&1 &
  pid=$!
  port=""
  for i in $(seq 1 1200); do
    if grep -q '^forkserve: ready in' "$tmp/train.log" || ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  port="$(sed -n -E 's|^forkserve: serving .* on http://[^:]+:([0-9]+)/.*|\1|p' "$tmp/train.log")"
  if [ -n "$port" ] && grep -q '^forkserve: ready in' "$tmp/train.log"; then
    curl -s -o /dev/null -X POST -d '{"input": [1, "two"]}' "http://127.0.0.1:$port/predict" || true
    curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || true
    curl -s -o /dev/null "http://127.0.0.1:$port/info" || true
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # the two dumps side by side: each is mostly one thread, and a first bin/serve waits for both
  local worker_dump=1 front_dump=1 dump_pid
  if [ -s "$tmp/front.list" ] && [ -s "$tmp/worker.list" ]; then
    "$java_bin" -Xshare:dump "-XX:SharedClassListFile=$tmp/worker.list" \
      "-XX:SharedArchiveFile=$tmp/worker.jsa" -cp "$cp" > "$tmp/dump-worker.log" 2>&1 &
    dump_pid=$!
    "$java_bin" -Xshare:dump "-XX:SharedClassListFile=$tmp/front.list" \
      "-XX:SharedArchiveFile=$tmp/front.jsa" "${opens[@]}" -cp "$cp" > "$tmp/dump.log" 2>&1 \
      && front_dump=0
    wait "$dump_pid" && worker_dump=0
  fi
  if [ "$worker_dump" -eq 0 ] && [ "$front_dump" -eq 0 ] \
      && mv "$tmp/worker.jsa" "$dir/forkserve-$key-worker.jsa" \
      && mv "$tmp/front.jsa" "$dir/forkserve-$key.jsa"; then
    for old in "$dir"/forkserve-*.jsa "$dir"/forkserve-*.failed; do
      case "$old" in
        "$dir/forkserve-$key.jsa" | "$dir/forkserve-$key-worker.jsa") ;;
        *) rm -f "$old" ;;
      esac
    done
    rm -rf "$tmp"
    echo "forkserve: class-data archive built" >&2
  else
    cat "$tmp"/*.log > "$dir/forkserve-$key.failed" 2>/dev/null || true
    rm -rf "$tmp"
    echo "forkserve: class-data archive not built (log: $dir/forkserve-$key.failed);" \
      "starting without it" >&2
  fi
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
