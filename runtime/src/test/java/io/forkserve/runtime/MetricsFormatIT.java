package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --metrics-format v1}: while the server runs, prometheus_client 0.16 (Debian's
 * python3-prometheus-client, which reads only format v1) merges its directory and sees what the
 * front's {@code /metrics} shows: the worker's counter, the JVM series of worker and front, the
 * API's info metric and the workers' state set; the exemplar side files a traced request leaves
 * beside the metric files change nothing in what it reads.
 */
class MetricsFormatIT {
  private static final String COLLECT =
      String.join(
          "\n",
          "import sys",
          "from prometheus_client import CollectorRegistry, generate_latest",
          "from prometheus_client.multiprocess import MultiProcessCollector",
          "registry = CollectorRegistry()",
          "MultiProcessCollector(registry, path=sys.argv[1])",
          "sys.stdout.write(generate_latest(registry).decode())");

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String STATE = "forkserve_worker_state";

  @TempDir Path dir;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang only: the waits follow this run's pace
  void pythonZeroSixteenReadsTheLiveDirectoryOfAV1Server() throws Exception {
    String python = Tools.require("python3-prometheus-client").toString();
    Path metrics = dir.resolve("m");
    try (ServerProcess server =
        ServerProcess.start(
                Map.of("METRICS_MULTIPROC_DIR", metrics.toString()),
                "--api", ScriptedApi.class.getName(),
                "--workers", "1",
                "--metrics-format", "v1")
            .awaitReady()) {
      for (int i = 0; i < 3; i++) {
        assertEquals(200, server.post("/predict", "{\"input\": 1}",
            "traceparent", "00-" + TRACE + "-00f067aa0ba902b7-01").statusCode());
      }
      // the supervisor's control loop writes the slots' states from its first pass on
      server.awaitWhileAlive(
          () -> ready(server), Progress.stretched(Duration.ofSeconds(30)), STATE + " ready");
      assertTrue(openMetrics(server).contains("trace_id=\"" + TRACE + "\""), "exemplars on");
      String ours = server.get("/metrics").body();
      String theirs = Processes.run(new byte[0], python, "-c", COLLECT, metrics.toString());

      assertEquals(3.0, ExpositionText.value(ours, "scripted_predictions_total"), ours);
      assertEquals(3.0, ExpositionText.value(theirs, "scripted_predictions_total"), theirs);
      assertEquals(3.0, ExpositionText.value(theirs,
          "forkserve_http_request_duration_seconds_count", "route", "/predict"), theirs);
      for (String process : new String[] {"0", "front"}) {
        assertTrue(
            ExpositionText.value(theirs, "jvm_memory_used_bytes", "worker", process, "area", "heap")
                > 0,
            theirs);
        assertTrue(
            ExpositionText.has(theirs, "process_cpu_seconds_total", "worker", process), theirs);
        assertTrue(ExpositionText.has(ours, "process_cpu_seconds_total", "worker", process), ours);
      }
      // info and state set: gauges to Python, with the values of our merge
      assertEquals(1.0, ExpositionText.value(theirs, "forkserve_api_info", "api", "default",
          "name", ScriptedApi.class.getName(), "version", "unknown"), theirs);
      for (String state : List.of("starting", "ready", "draining", "recycling")) {
        String[] labels = {"api", "default", "worker", "0", STATE, state};
        double expected = state.equals("ready") ? 1.0 : 0.0;
        assertEquals(expected, ExpositionText.value(ours, STATE, labels), ours);
        assertEquals(expected, ExpositionText.value(theirs, STATE, labels), theirs);
      }

      // the same files without the exemplar side files: Python reads exactly the same
      Path copy = Files.createDirectory(dir.resolve("copy"));
      List<Path> sideFiles;
      try (Stream<Path> files = Files.list(metrics)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
      try (Stream<Path> files = Files.list(copy)) {
        sideFiles = files.filter(f -> f.getFileName().toString().startsWith("exemplars_"))
            .toList();
      }
      assertFalse(sideFiles.isEmpty(), "exemplar side files in " + metrics);
      String withSideFiles = collectSorted(python, copy);
      for (Path f : sideFiles) {
        Files.delete(f);
      }
      String without = collectSorted(python, copy);
      assertTrue(without.contains("\nforkserve_api_info{"), without);
      assertEquals(without, withSideFiles);
    }
  }

  private static boolean ready(ServerProcess server) {
    try {
      String now = server.get("/metrics").body();
      return ExpositionText.has(now, STATE, "worker", "0", STATE, "ready")
          && ExpositionText.value(now, STATE, "worker", "0", STATE, "ready") == 1.0;
    } catch (IOException e) {
      return false;
    }
  }

  private static String openMetrics(ServerProcess server) throws IOException {
    return server.send(HttpRequest.newBuilder(server.uri("/metrics"))
        .header("Accept", "application/openmetrics-text; version=1.0.0").GET().build()).body();
  }

  /** Python's exposition of {@code dir}, its lines sorted (file order is the directory's). */
  private static String collectSorted(String python, Path dir) throws Exception {
    String out = Processes.run(new byte[0], python, "-c", COLLECT, dir.toString());
    return String.join("\n", out.lines().sorted().toList()) + "\n";
  }
}
