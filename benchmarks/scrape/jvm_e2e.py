#!/usr/bin/env python3
"""One measuring window of jvm-e2e.sh against a running server.

usage: jvm_e2e.py PID PORT SCRAPES RATE FORMAT

First an idle window as long as the scrape window will be (no request), then SCRAPES paced
GET /metrics at RATE per second over one kept-alive connection, each body read to its end. The
front's CPU is utime + stime of /proc/PID/stat (all of its threads, clock ticks). Prints one line:
  idle_ticks idle_s scrape_ticks scrape_s median_ms p90_ms samples bytes
FORMAT: prometheus (the Accept and Accept-Encoding: gzip that Prometheus 2.x sends, so
OpenMetrics, compressed) or text (text format 0.0.4, uncompressed).
"""
import gzip
import http.client
import statistics
import sys
import time

PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
                     "application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def main():
    pid, port, scrapes, rate, fmt = sys.argv[1:6]
    scrapes, rate = int(scrapes), float(rate)
    headers = ({"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}
               if fmt == "prometheus" else {"Accept": "text/plain;version=0.0.4"})
    period = 1.0 / rate
    window = scrapes * period

    c0, t0 = cpu_ticks(pid), time.monotonic()
    time.sleep(window)
    c1, t1 = cpu_ticks(pid), time.monotonic()

    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    times, samples, size = [], 0, 0
    c2, t2 = cpu_ticks(pid), time.monotonic()
    for i in range(scrapes):
        due = t2 + i * period
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        start = time.monotonic()
        conn.request("GET", "/metrics", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        times.append(time.monotonic() - start)
        if resp.status != 200:
            sys.exit(f"jvm_e2e.py: GET /metrics answered {resp.status}")
        size = len(body)
        if resp.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        samples = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
    # the last scrape's period ends the window, as the idle window's length
    end = t2 + scrapes * period
    now = time.monotonic()
    if end > now:
        time.sleep(end - now)
    c3, t3 = cpu_ticks(pid), time.monotonic()
    conn.close()
    times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    print(c1 - c0, round(t1 - t0, 3), c3 - c2, round(t3 - t2, 3),
          round(statistics.median(times) * 1000, 3), round(p90 * 1000, 3), samples, size)


if __name__ == "__main__":
    main()
