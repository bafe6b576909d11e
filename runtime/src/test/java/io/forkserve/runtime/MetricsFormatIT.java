package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --metrics-format v1}: while the server runs, prometheus_client 0.16 (Debian's
 * python3-prometheus-client, which reads only format v1) merges its directory and sees what the
 * front's {@code /metrics} shows: the worker's counter and the JVM series of worker and front.
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
        assertEquals(200, server.post("/predict", "{\"input\": 1}").statusCode());
      }
      String ours = server.get("/metrics").body();
      String theirs = Processes.run(new byte[0], python, "-c", COLLECT, metrics.toString());

      assertEquals(3.0, ExpositionText.value(ours, "scripted_predictions_total"), ours);
      assertEquals(3.0, ExpositionText.value(theirs, "scripted_predictions_total"), theirs);
      for (String process : new String[] {"0", "front"}) {
        assertTrue(
            ExpositionText.value(theirs, "jvm_memory_used_bytes", "worker", process, "area", "heap")
                > 0,
            theirs);
        assertTrue(
            ExpositionText.has(theirs, "process_cpu_seconds_total", "worker", process), theirs);
        assertTrue(ExpositionText.has(ours, "process_cpu_seconds_total", "worker", process), ours);
      }
    }
  }
}
