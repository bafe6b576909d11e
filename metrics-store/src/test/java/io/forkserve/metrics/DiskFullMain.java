package io.forkserve.metrics;

import java.nio.file.Path;

/**
 * A writer process for {@link DiskFullIT}, started under a file-size limit: creates series until
 * the file cannot grow (the new series then works in memory only, and is counted), then checks
 * that the series it has still work. Prints {@code grow failed
 * after N series: MESSAGE} and exits 0, or exits 1 if growth never failed.
 */
final class DiskFullMain {
  private DiskFullMain() {}

  public static void main(String[] args) {
    try (MetricsRegistry registry = MetricsRegistry.open(Path.of(args[0]))) {
      Counter c = Counter.builder("series").labelNames("i").register(registry);
      Counter.Child first = c.labels("0");
      for (int i = 1; i < 100_000; i++) {
        Counter.Child child = c.labels(Integer.toString(i)); // never throws for a full disk
        child.inc();
        if (registry.unwritableSeries() > 0) {
          first.inc(5);
          System.out.println("grow failed after " + i + " series; the unrecorded one counts "
              + child.get());
          System.out.println("first series still counts: " + first.get());
          return;
        }
      }
    }
    System.exit(1);
  }
}
