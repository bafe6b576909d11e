package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.file.SkipReason;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.ExpositionText.Key;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Processes.Result;
import io.forkserve.testsupport.Tools;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Directories written by prometheus_client 0.16.0 (format v1) and 0.25.0 (format v2), merged by
 * us, equal what Python's own MultiProcessCollector produced for them (the .prom files), as sets
 * of (family, type, help, sample, labels, value); values may differ only by the rounding of
 * summing in another order. Every fixture file counts (FixtureSumsTest checks they are the files
 * Python wrote), the summary {@code payload_bytes} included.
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
  void openMetricsOutputReadByPythonsParserEqualsPythons(String version, String scenario)
      throws Exception {
    Tools.require("python3-prometheus-client");
    Map<Key, Double> python = pythonRows(version, scenario);
    byte[] om = bytes(scrape(version, scenario), ExpositionFormat.OPENMETRICS);
    Map<Key, Double> ours = withoutSelfMetrics(ExpositionText.rowsByPythonOpenMetrics(om));
    assertEquals(List.of(), ExpositionText.differences(python, ours));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void noFixtureFileIsSkipped(String version, String scenario) {
    DirectoryScraper scraper = new DirectoryScraper(dir(version, scenario));
    scraper.scrape();
    List<String> skipped = new ArrayList<>();
    for (SkippedFile s : scraper.lastSkipped()) {
      skipped.add(s.path().getFileName() + " " + s.reason().label());
    }
    assertEquals(List.of(), skipped);
  }

  /** Debian's prometheus_client 0.16 reads v1 only: it checks the v0.16.0 scenarios live. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = "v0.16.0,counters\n v0.16.0,gauges\n v0.16.0,histograms\n"
      + "v0.16.0,many_series")
  void textOutputEqualsPythonCollectorLive(String version, String scenario) throws Exception {
    Tools.require("python3-prometheus-client");
    Path dir = dir(version, scenario);
    List<String> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.forEach(p -> files.add(p.toString()));
    }
    String script = String.join("\n",
        "import sys",
        "from prometheus_client import CollectorRegistry, generate_latest",
        "from prometheus_client.multiprocess import MultiProcessCollector",
        "class C:",
        "  def collect(self):",
        "    return MultiProcessCollector.merge(sys.argv[1:], accumulate=True)",
        "r = CollectorRegistry()",
        "r.register(C())",
        "sys.stdout.write(generate_latest(r).decode('utf-8'))");
    List<String> command = new ArrayList<>(List.of(Tools.PYTHON, "-c", script));
    command.addAll(files);
    Map<Key, Double> python = ExpositionText.rows(
        Processes.run(new byte[0], command.toArray(new String[0])));
    Map<Key, Double> ours = FixtureCompatibilityTest.withoutSelfMetrics(
        ExpositionText.rows(text(scrape(version, scenario), ExpositionFormat.TEXT)));
    assertEquals(List.of(), ExpositionText.differences(python, ours));
  }

  /** promtool parses our text output and says about it exactly what it says about Python's. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void textOutputPassesPromtoolAsPythonsDoes(String version, String scenario) throws Exception {
    Path prom = Fixtures.prometheusClient(version + "/" + scenario + ".prom");
    Result python = promtool(Files.readAllBytes(prom));
    Result ours = promtool(bytes(scrape(version, scenario), ExpositionFormat.TEXT));
    assertEquals(python.exit(), ours.exit(), ours.stdout() + ours.stderr());
    assertEquals(lines(python), lines(ours));
  }

  @Test
  void selfMetricsPassPromtoolWithNoWarnings(@org.junit.jupiter.api.io.TempDir Path empty)
      throws Exception {
    Result r = promtool(bytes(new DirectoryScraper(empty).scrape(), ExpositionFormat.TEXT));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    assertEquals("", r.stdout() + r.stderr());
  }

  static Result promtool(byte[] exposition) throws Exception {
    return Processes.exec(exposition, Tools.require("promtool").toString(), "check", "metrics");
  }

  private static Set<String> lines(Result r) {
    Set<String> out = new TreeSet<>(List.of((r.stdout() + r.stderr()).split("\n")));
    out.remove("");
    return out;
  }

  private static Path dir(String version, String scenario) {
    return Fixtures.prometheusClient(version + "/" + scenario);
  }

  private static MetricSnapshots scrape(String version, String scenario) {
    return new DirectoryScraper(dir(version, scenario)).scrape();
  }

  private static Map<Key, Double> pythonRows(String version, String scenario) throws Exception {
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
