# shellcheck shell=bash
# Sourced by the load scripts: the helpers they all need, one copy each.
#
# free_port: a TCP port on 127.0.0.1 that was free a moment ago (asked of the kernel).
# median: the median of the numbers on stdin, one a line (the mean of the middle two for an even
# count).
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

median() {
  sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
