package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.testsupport.PyFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeriesLimitTest {
  @TempDir Path dir;

  private MetricsRegistry registry(int max) {
    return MetricsRegistry.builder(dir).pid(7).maxSeriesPerMetric(max).open();
  }

  private Map<String, Double> counterFile() throws IOException {
    return PyFile.read(dir.resolve("counter_7.db"), FormatVersion.V2).stream()
        .collect(Collectors.toMap(PyFile.Entry::key, PyFile.Entry::value));
  }

  @Test
  void newLabelValuesBeyondTheLimitAreRefusedAndCounted_existingSeriesKeepWorking()
      throws IOException {
    try (MetricsRegistry r = registry(3)) {
      Counter hits = Counter.builder("hits").help("H.").labelNames("user").register(r);
      for (int i = 0; i < 3; i++) {
        hits.labels("u" + i).inc();
      }
      for (int i = 3; i < 8; i++) {
        String value = "u" + i;
        IllegalStateException e =
            assertThrows(IllegalStateException.class, () -> hits.labels(value));
        assertTrue(
            e.getMessage().startsWith("metric hits already has 3 label sets"), e.getMessage());
        assertTrue(e.getMessage().contains("maxSeriesPerMetric"), e.getMessage());
      }
      hits.labels("u0").inc(); // an existing series still works
      Map<String, Double> file = counterFile();
      assertEquals(4, file.size(), file.toString()); // 3 series + the refusal counter
      assertEquals(2.0, file.get("[\"hits\", \"hits_total\", {\"user\": \"u0\"}, \"H.\"]"));
      assertEquals(
          5.0,
          file.get(
              "[\"forkserve_metrics_series_rejected\", \"forkserve_metrics_series_rejected_total\","
                  + " {\"metric\": \"hits\"}, \"New label sets refused by the per-metric series"
                  + " limit, by metric.\"]"));
    }
  }

  @Test
  void everyKindOfMetricIsLimited_andTheFileStopsGrowing() throws IOException {
    try (MetricsRegistry r = registry(2)) {
      Gauge g = Gauge.builder("g").help("G.").labelNames("k").register(r);
      Histogram h = Histogram.builder("h").help("H.").labelNames("k").register(r);
      Summary s = Summary.builder("s").help("S.").labelNames("k").register(r);
      for (String v : List.of("a", "b")) {
        g.labels(v).set(1);
        h.labels(v).observe(1);
        s.labels(v).observe(1);
      }
      long histogramUsed = PyFile.read(dir.resolve("histogram_7.db"), FormatVersion.V2).size();
      for (int i = 0; i < 100; i++) {
        String v = "x" + i;
        assertThrows(IllegalStateException.class, () -> g.labels(v));
        assertThrows(IllegalStateException.class, () -> h.labels(v));
        assertThrows(IllegalStateException.class, () -> s.labels(v));
      }
      assertEquals(
          histogramUsed, PyFile.read(dir.resolve("histogram_7.db"), FormatVersion.V2).size());
      Map<String, Double> counters = counterFile();
      for (String metric : List.of("g", "h", "s")) {
        String key =
            counters.keySet().stream()
                .filter(k -> k.contains("{\"metric\": \"" + metric + "\"}"))
                .findFirst()
                .orElseThrow();
        assertEquals(100.0, counters.get(key), metric);
      }
    }
  }

  @Test
  void defaultIsTenThousand_andZeroIsRefused() {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(8).open()) {
      assertEquals(10_000, r.maxSeriesPerMetric());
    }
    assertThrows(
        IllegalArgumentException.class, () -> MetricsRegistry.builder(dir).maxSeriesPerMetric(0));
    assertTrue(Files.isDirectory(dir));
  }
}
