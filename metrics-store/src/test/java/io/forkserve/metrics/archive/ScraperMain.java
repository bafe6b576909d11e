package io.forkserve.metrics.archive;

import io.forkserve.metrics.merge.DirectoryScraper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A scraper in its own process, as {@code bin/metrics merge} beside a server: scrapes a
 * directory through a read-only archive view until stdin closes, checking that every monotonic
 * {@link Workload} row never goes down or disappears; prints {@code scrapes=N violations=M}.
 */
public final class ScraperMain {
  private ScraperMain() {}

  /** Args: DIR. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    AtomicBoolean stop = new AtomicBoolean();
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // wait for EOF
        }
      } catch (IOException e) {
        // treat as EOF
      }
      stop.set(true);
    });
    stdin.setDaemon(true);
    stdin.start();
    try (MetricsArchive archive = MetricsArchive.openReadOnly(dir);
        DirectoryScraper scraper = new DirectoryScraper(dir, List.of(archive.newMergeSource()))) {
      MonotonicCheck check = new MonotonicCheck();
      while (!stop.get()) {
        check.accept(ArchiveTesting.rows(ArchiveTesting.text(scraper.scrape())));
      }
      System.out.println("scrapes=" + check.scrapes + " violations=" + check.count + " "
          + check.violations);
    }
  }

  /** Remembers the last value of each monotonic row and records every decrease or loss. */
  static final class MonotonicCheck {
    final Map<String, Double> last = new HashMap<>();
    /** The first few violations. */
    final List<String> violations = new java.util.ArrayList<>();
    int count;
    int scrapes;

    void accept(Map<String, Double> rows) {
      scrapes++;
      for (Map.Entry<String, Double> e : last.entrySet()) {
        Double now = rows.get(e.getKey());
        if ((now == null || now < e.getValue()) && count++ < 10) {
          violations.add("scrape " + scrapes + ": " + e.getKey() + " " + e.getValue() + " -> "
              + now);
        }
      }
      for (Map.Entry<String, Double> e : rows.entrySet()) {
        if (Workload.isMonotonic(e.getKey())) {
          last.merge(e.getKey(), e.getValue(), Math::max);
        }
      }
    }
  }
}
