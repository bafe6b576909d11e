# shellcheck shell=bash
# Sourced by the load scripts: the helpers they all need, one copy each.
#
# free_port: a TCP port on 127.0.0.1 that was free a moment ago (asked of the kernel).
# median: the median of the numbers on stdin, one a line (the mean of the middle two for an even
# count).
# hold_bench_lock, need_wrk: below.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

median() {
  sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}

# hold_bench_lock "$0" "$@": runs the calling script again under flock /tmp/bench.lock, so no
# two benchmark runs share the cores; a script it starts inherits the lock and does not wait.
hold_bench_lock() {
  if [ -z "${FORKSERVE_BENCH_LOCKED:-}" ]; then
    FORKSERVE_BENCH_LOCKED=1 exec flock /tmp/bench.lock "$@"
  fi
}

# need_wrk NAME: exits 2 with one line naming NAME when wrk is not installed.
need_wrk() {
  command -v wrk >/dev/null || { echo "$1: needs wrk (apt-get install wrk)" >&2; exit 2; }
}
