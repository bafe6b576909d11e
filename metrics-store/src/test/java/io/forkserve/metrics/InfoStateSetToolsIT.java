package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.PythonExposition;
import io.forkserve.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** promtool lints the info and state set expositions; Python's collector reads the files. */
class InfoStateSetToolsIT {
  @TempDir Path dir;

  @Test
  void promtoolFindsNothingToSayAboutTheText() throws Exception {
    InfoStateSetTest.writeTwoProcesses(dir);
    byte[] body = InfoStateSetTest.text(InfoStateSetTest.scrape(dir), ExpositionFormat.TEXT)
        .getBytes(StandardCharsets.UTF_8);
    Processes.Result r =
        Processes.exec(body, Tools.require("promtool").toString(), "check", "metrics");
    assertEquals(0, r.exit(), r.stdout() + r.stderr());
    assertEquals("", r.stdout() + r.stderr());
  }

  /** promtool reads text 0.0.4 only; Python's strict OpenMetrics parser checks the other. */
  @Test
  void pythonsOpenMetricsParserReadsInfoAndStateSet() throws Exception {
    Tools.require("python3-prometheus-client");
    InfoStateSetTest.writeTwoProcesses(dir);
    byte[] body = InfoStateSetTest.text(InfoStateSetTest.scrape(dir),
        ExpositionFormat.OPENMETRICS).getBytes(StandardCharsets.UTF_8);
    Map<ExpositionText.Key, Double> rows = ExpositionText.rowsByPythonOpenMetrics(body);
    assertEquals(9, rows.size(), rows.toString());
    assertTrue(rows.keySet().stream().anyMatch(k -> k.type().equals("info")), rows.toString());
    assertTrue(rows.keySet().stream().anyMatch(k -> k.type().equals("stateset")),
        rows.toString());
  }

  /** Python's strict OpenMetrics parser reads our exemplars back, exactly. */
  @Test
  void pythonsOpenMetricsParserReadsOurExemplars() throws Exception {
    Tools.require("python3-prometheus-client");
    ExemplarsTest.writeTwoProcesses(dir);
    byte[] body = InfoStateSetTest.text(InfoStateSetTest.scrape(dir),
        ExpositionFormat.OPENMETRICS).getBytes(StandardCharsets.UTF_8);
    String script = String.join("\n",
        "import sys",
        "from prometheus_client.openmetrics.parser import text_string_to_metric_families",
        "for f in text_string_to_metric_families(sys.stdin.buffer.read().decode('utf-8')):",
        "  for s in f.samples:",
        "    if s.exemplar:",
        "      e = s.exemplar",
        "      print(s.name, s.labels.get('le'), e.labels['trace_id'], e.value,",
        "        float(e.timestamp))");
    assertEquals("""
        jobs_total None 0af7651916cd43dd8448eb211c80319c 2.0 1700000002.5
        lat_seconds_bucket 0.1 4bf92f3577b34da6a3ce929d0e0e4736 0.05 1700000001.25
        lat_seconds_bucket 1.0 0af7651916cd43dd8448eb211c80319c 0.5 1700000000.5
        """, Processes.run(body, Tools.PYTHON, "-c", script));
  }

  /** prometheus_client 0.16 reads format v1 only: a registry can be told to write it. */
  @Test
  void pythonReadsAVersion1Directory() throws Exception {
    Tools.require("python3-prometheus-client");
    try (MetricsRegistry r =
        MetricsRegistry.builder(dir).pid(201).formatVersion(FormatVersion.V1).open()) {
      Info.builder("forkserve_api").help("The served API.").labelNames("name", "version")
          .register(r).set("echo", "1.0");
      StateSet.builder("forkserve_worker_state").help("Worker state.")
          .states("ready", "draining").labelNames("worker").register(r)
          .labels("1").setState("draining");
      Counter.builder("jobs").help("Jobs.").register(r)
          .inc(1, ExemplarLabels.ofTrace("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
    }
    assertTrue(java.nio.file.Files.exists(dir.resolve("exemplars_201.ex"))); // ignored by Python
    String python = PythonExposition.scrape(dir);
    for (String line : List.of(
        "forkserve_api_info{name=\"echo\",version=\"1.0\"} 1.0",
        "forkserve_worker_state{forkserve_worker_state=\"draining\",worker=\"1\"} 1.0",
        "forkserve_worker_state{forkserve_worker_state=\"ready\",worker=\"1\"} 0.0",
        "jobs_total 1.0")) {
      assertTrue(python.contains(line + "\n"), line + " missing from Python's output:\n" + python);
    }
  }
}
