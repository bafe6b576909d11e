package io.forkserve.metrics.merge;

import static io.forkserve.metrics.merge.FixtureCompatibilityTest.SCENARIOS;
import static io.forkserve.metrics.merge.FixtureCompatibilityTest.bytes;
import static io.forkserve.metrics.merge.FixtureCompatibilityTest.dir;
import static io.forkserve.metrics.merge.FixtureCompatibilityTest.pythonRows;
import static io.forkserve.metrics.merge.FixtureCompatibilityTest.scrape;
import static io.forkserve.metrics.merge.FixtureCompatibilityTest.text;
import static io.forkserve.metrics.merge.FixtureCompatibilityTest.withoutSelfMetrics;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.ExpositionText.Key;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Processes.Result;
import io.forkserve.testsupport.Tools;
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
 * Our merge of the Python-written fixtures, checked by the tools themselves (processes): Debian's
 * python3-prometheus-client OpenMetrics parser and MultiProcessCollector, and promtool.
 */
class FixtureToolsIT {
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
    Map<Key, Double> ours = withoutSelfMetrics(
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
    Result r = promtool(bytes(DirectoryScraper.scrapeOnce(empty), ExpositionFormat.TEXT));
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

}
