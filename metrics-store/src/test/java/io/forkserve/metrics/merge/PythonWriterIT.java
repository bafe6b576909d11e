package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes a directory while real prometheus_client processes (Debian's, format v1) create series
 * and count into it: no scrape skips a file (but one caught between its creation and its first
 * extension, which is zero bytes for that moment), counters never go down, and the last scrape
 * skips nothing and has the exact totals.
 */
class PythonWriterIT {
  private static final int PROCESSES = 2;
  private static final int EVENTS = 50_000;

  @TempDir Path dir;
  @TempDir Path logs;

  @Test
  void scrapesWhileLivePythonWritersGrowTheirFiles() throws Exception {
    Tools.require("python3-prometheus-client");
    String script = String.join("\n",
        "import os, sys",
        "os.environ['PROMETHEUS_MULTIPROC_DIR'] = sys.argv[1]",
        "from prometheus_client import Counter, Histogram",
        "c = Counter('work', 'Work done.', ['k'])",
        "h = Histogram('lat', 'Latency.', ['k'])",
        "for i in range(int(sys.argv[2])):",
        "  c.labels(k=str(i % 700)).inc()",
        "  h.labels(k=str(i % 70)).observe((i % 100) / 100)");
    List<Process> writers = new java.util.ArrayList<>();
    for (int i = 0; i < PROCESSES; i++) {
      writers.add(Processes.start(logs.resolve("writer-" + i + ".log"),
          List.of(Tools.PYTHON, "-c", script, dir.toString(), Integer.toString(EVENTS))));
    }
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      Map<String, Double> last = new HashMap<>();
      int midWrite = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (writers.stream().anyMatch(Process::isAlive)) {
        assertTrue(System.nanoTime() < deadline, "writers did not finish in time");
        double work = total(check(scraper.scrape(), last, true), "work_total{");
        midWrite += work > 0 && work < PROCESSES * EVENTS ? 1 : 0;
      }
      for (int i = 0; i < PROCESSES; i++) {
        Path log = logs.resolve("writer-" + i + ".log");
        assertEquals(0, Processes.await(writers.get(i), log, Duration.ofSeconds(60)),
            Processes.read(log));
      }
      Map<String, Double> end = check(scraper.scrape(), last, false);
      assertEquals(PROCESSES * EVENTS, total(end, "work_total{"));
      assertEquals(PROCESSES * EVENTS, total(end, "lat_count{"));
      assertEquals(700, end.keySet().stream().filter(k -> k.startsWith("work_total{")).count());
      assertTrue(midWrite > 0, "no scrape saw the writers half done");
    }
  }

  private static double total(Map<String, Double> samples, String prefix) {
    double sum = 0;
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      sum += e.getKey().startsWith(prefix) ? e.getValue() : 0;
    }
    return sum;
  }

  private static Map<String, Double> check(
      MetricSnapshots s, Map<String, Double> last, boolean writing) {
    for (SkipReason r : SkipReason.values()) {
      if (!(writing && r == SkipReason.EMPTY)) {
        assertEquals(0.0, Values.skippedNow(s, r), r.label());
      }
    }
    Map<String, Double> now = Values.of(s);
    for (Map.Entry<String, Double> e : now.entrySet()) {
      Double before = last.get(e.getKey());
      if (e.getKey().startsWith("work_total") || e.getKey().startsWith("lat_count")) {
        assertTrue(before == null || e.getValue() >= before, e.getKey() + " went down");
      }
    }
    last.putAll(now);
    return now;
  }
}
