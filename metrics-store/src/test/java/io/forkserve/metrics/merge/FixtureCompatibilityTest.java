package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.ExpositionText.Key;
import io.forkserve.testsupport.Fixtures;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Directories written by prometheus_client 0.16.0 (format v1) and 0.25.0 (format v2), merged by
 * us, equal what Python's own MultiProcessCollector produced for them (the .prom files), as sets
 * of (family, type, help, sample, labels, value); values may differ only by the rounding of
 * summing in another order. Every fixture file counts (FixtureSumsTest checks they are the files
 * Python wrote), the summary {@code payload_bytes} included. FixtureToolsIT checks the same
 * output with Python's own parser and collector and with promtool.
 */
class FixtureCompatibilityTest {
  static final String SCENARIOS = "v0.16.0,counters\n v0.16.0,gauges\n v0.16.0,histograms\n"
      + "v0.16.0,many_series\n v0.25.0,counters\n v0.25.0,gauges\n v0.25.0,histograms\n"
      + "v0.25.0,many_series";

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void textOutputEqualsPythons(String version, String scenario) throws Exception {
    Map<Key, Double> python = pythonRows(version, scenario);
    Map<Key, Double> ours = withoutSelfMetrics(
        ExpositionText.rows(text(scrape(version, scenario), ExpositionFormat.TEXT)));
    assertEquals(List.of(), ExpositionText.differences(python, ours));
    assertFalse(python.isEmpty());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void noFixtureFileIsSkipped(String version, String scenario) {
    try (DirectoryScraper scraper = new DirectoryScraper(dir(version, scenario))) {
      scraper.scrape();
      List<String> skipped = new ArrayList<>();
      for (SkippedFile s : scraper.lastSkipped()) {
        skipped.add(s.path().getFileName() + " " + s.reason().label());
      }
      assertEquals(List.of(), skipped);
    }
  }

  static Path dir(String version, String scenario) {
    return Fixtures.prometheusClient(version + "/" + scenario);
  }

  static MetricSnapshots scrape(String version, String scenario) {
    return DirectoryScraper.scrapeOnce(dir(version, scenario));
  }

  static Map<Key, Double> pythonRows(String version, String scenario) throws Exception {
    Path prom = Fixtures.prometheusClient(version + "/" + scenario + ".prom");
    return ExpositionText.rows(Files.readString(prom, StandardCharsets.UTF_8));
  }

  static Map<Key, Double> withoutSelfMetrics(Map<Key, Double> rows) {
    rows.keySet().removeIf(k -> k.family().startsWith("forkserve_metrics_"));
    return rows;
  }

  static byte[] bytes(MetricSnapshots snapshots, ExpositionFormat format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exposition.write(snapshots, format, out);
    return out.toByteArray();
  }

  static String text(MetricSnapshots snapshots, ExpositionFormat format) throws Exception {
    return new String(bytes(snapshots, format), StandardCharsets.UTF_8);
  }
}
