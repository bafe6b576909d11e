package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.file.SkipReason;
import io.forkserve.metrics.merge.ExpositionRows.Key;
import io.forkserve.metrics.merge.ExpositionRows.Result;
import io.forkserve.metrics.model.MetricSnapshots;
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
 * summing in another order.
 *
 * <p>One file per version in the shared fixtures is damaged: {@code histograms/summary_15554.db}
 * (v0.16.0) and {@code histograms/summary_15569.db} (v0.25.0) hold an {@code xxd} hex dump (of
 * their sibling file, judging by the bytes) instead of the file Python wrote when it produced the
 * .prom. We must skip them, so their family ({@code payload_bytes}) cannot equal the .prom; it is
 * checked against a live run of Debian's prometheus_client over the intact files instead.
 */
class FixtureCompatibilityTest {
  static final String SCENARIOS = "v0.16.0,counters\n v0.16.0,gauges\n v0.16.0,histograms\n"
      + "v0.16.0,many_series\n v0.25.0,counters\n v0.25.0,gauges\n v0.25.0,histograms\n"
      + "v0.25.0,many_series";

  private static final Map<String, String> DAMAGED = Map.of(
      "v0.16.0/histograms", "summary_15554.db", "v0.25.0/histograms", "summary_15569.db");
  private static final String DAMAGED_FAMILY = "payload_bytes";

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void textOutputEqualsPythons(String version, String scenario) throws Exception {
    Map<Key, Double> python = pythonRows(version, scenario);
    Map<Key, Double> ours = ourRows(version, scenario,
        ExpositionRows.parseText(text(scrape(version, scenario), ExpositionFormat.TEXT)));
    assertEquals(List.of(), ExpositionRows.differences(python, ours));
    assertFalse(python.isEmpty());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void openMetricsOutputReadByPythonsParserEqualsPythons(String version, String scenario)
      throws Exception {
    Map<Key, Double> python = pythonRows(version, scenario);
    byte[] om = bytes(scrape(version, scenario), ExpositionFormat.OPENMETRICS);
    Map<Key, Double> ours = ourRows(version, scenario, ExpositionRows.parseOpenMetrics(om));
    assertEquals(List.of(), ExpositionRows.differences(python, ours));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void onlyTheDamagedFixtureFileIsSkipped(String version, String scenario) {
    DirectoryScraper scraper = new DirectoryScraper(dir(version, scenario));
    scraper.scrape();
    String damaged = DAMAGED.get(version + "/" + scenario);
    List<String> expected = damaged == null ? List.of() : List.of(damaged + " corrupt");
    List<String> skipped = new ArrayList<>();
    for (SkippedFile s : scraper.lastSkipped()) {
      skipped.add(s.path().getFileName() + " " + s.reason().label());
    }
    assertEquals(expected, skipped);
  }

  /** Debian's prometheus_client 0.16 reads v1 only: it checks the v0.16.0 scenarios live. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = "v0.16.0,counters\n v0.16.0,gauges\n v0.16.0,histograms\n"
      + "v0.16.0,many_series")
  void textOutputEqualsPythonCollectorOverTheIntactFiles(String version, String scenario)
      throws Exception {
    Path dir = dir(version, scenario);
    String damaged = DAMAGED.get(version + "/" + scenario);
    List<String> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.filter(p -> !p.getFileName().toString().equals(damaged))
          .forEach(p -> files.add(p.toString()));
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
    List<String> command = new ArrayList<>(List.of(ExpositionRows.PYTHON, "-c", script));
    command.addAll(files);
    Map<Key, Double> python = ExpositionRows.parseText(
        ExpositionRows.run(new byte[0], command.toArray(new String[0])));
    Map<Key, Double> ours = FixtureCompatibilityTest.withoutSelfMetrics(
        ExpositionRows.parseText(text(scrape(version, scenario), ExpositionFormat.TEXT)));
    assertEquals(List.of(), ExpositionRows.differences(python, ours));
  }

  /** promtool parses our text output and says about it exactly what it says about Python's. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = SCENARIOS)
  void textOutputPassesPromtoolAsPythonsDoes(String version, String scenario) throws Exception {
    assumePromtool();
    Path prom = TestFiles.fixture(version + "/" + scenario + ".prom");
    Result python = promtool(Files.readAllBytes(prom));
    Result ours = promtool(bytes(scrape(version, scenario), ExpositionFormat.TEXT));
    assertEquals(python.exit(), ours.exit(), ours.stdout() + ours.stderr());
    assertEquals(lines(python), lines(ours));
  }

  @Test
  void selfMetricsPassPromtoolWithNoWarnings(@org.junit.jupiter.api.io.TempDir Path empty)
      throws Exception {
    assumePromtool();
    Result r = promtool(bytes(new DirectoryScraper(empty).scrape(), ExpositionFormat.TEXT));
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    assertEquals("", r.stdout() + r.stderr());
  }

  static void assumePromtool() {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/promtool")),
        "promtool missing: bin/test installs Debian's prometheus package");
  }

  static Result promtool(byte[] exposition) throws Exception {
    return ExpositionRows.exec(exposition, "/usr/bin/promtool", "check", "metrics");
  }

  private static Set<String> lines(Result r) {
    Set<String> out = new TreeSet<>(List.of((r.stdout() + r.stderr()).split("\n")));
    out.remove("");
    return out;
  }

  private static Path dir(String version, String scenario) {
    return TestFiles.fixture(version + "/" + scenario);
  }

  private static MetricSnapshots scrape(String version, String scenario) {
    return new DirectoryScraper(dir(version, scenario)).scrape();
  }

  private static Map<Key, Double> pythonRows(String version, String scenario) throws Exception {
    Path prom = TestFiles.fixture(version + "/" + scenario + ".prom");
    Map<Key, Double> rows =
        ExpositionRows.parseText(Files.readString(prom, StandardCharsets.UTF_8));
    if (DAMAGED.containsKey(version + "/" + scenario)) {
      rows.keySet().removeIf(k -> k.family().equals(DAMAGED_FAMILY));
    }
    return rows;
  }

  private static Map<Key, Double> ourRows(String version, String scenario, Map<Key, Double> rows) {
    if (DAMAGED.containsKey(version + "/" + scenario)) {
      rows.keySet().removeIf(k -> k.family().equals(DAMAGED_FAMILY));
    }
    return withoutSelfMetrics(rows);
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
