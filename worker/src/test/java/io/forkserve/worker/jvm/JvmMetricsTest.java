package io.forkserve.worker.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.testsupport.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link JvmMetrics}: its samples, the first one and the periodic ones, from one thread. */
class JvmMetricsTest {
  @TempDir Path dir;

  @Test
  void everySampleWritesTheMainFilesAndNoStripeFile() throws IOException {
    try (MetricsRegistry registry = MetricsRegistry.open(dir)) {
      JvmMetrics jvm = JvmMetrics.start(registry, "0");
      double cpu = value("process_cpu_seconds_total");
      double collections = value("jvm_gc_collection_seconds_count");
      System.gc();
      JvmFamiliesTest.burnCpu();
      // a periodic sample adds to the counter and the summary that the first sample created
      Progress.await(
          () -> value("process_cpu_seconds_total") > cpu
              && value("jvm_gc_collection_seconds_count") > collections,
          () -> true,
          Progress.stretched(JvmMetrics.PERIOD.multipliedBy(10)),
          "a periodic sample after the first");
      jvm.close();
      assertEquals(List.of(), stripeFiles(), "stripe files in " + dir);
    }
  }

  /** Files named TYPE_PIDsN.db: a thread other than a series' first writer added to it. */
  private List<String> stripeFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(name -> name.matches(".*_[0-9]+s[0-9]+\\.db"))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  private double value(String name) {
    return JvmFamiliesTest.value(dir, name);
  }
}
