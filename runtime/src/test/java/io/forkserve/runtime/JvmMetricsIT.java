package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.SampleKeys;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 item 1 end to end: a 2-worker server shows process and JVM metrics for worker 0, 1
 * and the front, promtool-clean, and their CPU seconds grow between scrapes (sampled on); worker
 * 0 is killed with SIGKILL twice, and after each replacement its counters have not gone down (a
 * real Prometheus's {@code resets()} stays 0), its start time is the replacement's, and the
 * number of JVM/process series is what it was.
 */
class JvmMetricsIT {
  private static final List<String> PROCESSES = List.of("0", "1", "front");

  /** Counters of one process, as the sampler writes them. */
  private static final List<String> COUNTERS =
      List.of(
          "process_cpu_seconds_total",
          "jvm_classes_loaded_total",
          "jvm_threads_started_total",
          "jvm_compilation_time_seconds_total");

  @TempDir Path dir;
  @TempDir Path prometheusDir;

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES) // a hang only: the waits follow this run's pace
  void everyProcessHasJvmMetricsAndTheCountersOfAKilledSlotNeverGoDown() throws Exception {
    try (ServerProcess server =
            ServerProcess.start(
                    Map.of("METRICS_MULTIPROC_DIR", dir.resolve("m").toString()),
                    "--api", ScriptedApi.class.getName(),
                    "--workers", "2")
                .awaitReady();
        PrometheusServer prometheus =
            PrometheusServer.start(prometheusDir, "127.0.0.1:" + server.port())) {
      String first = server.get("/metrics").body();
      for (String process : PROCESSES) {
        for (String name :
            List.of(
                "process_cpu_seconds_total",
                "process_resident_memory_bytes",
                "process_open_fds",
                "process_max_fds",
                "process_start_time_seconds",
                "jvm_classes_loaded_total",
                "jvm_threads_current",
                "jvm_gc_collection_seconds_count")) {
          assertTrue(anySample(first, name, process), name + " of " + process);
        }
        double heap =
            ExpositionText.value(first, "jvm_memory_used_bytes", "worker", process, "area", "heap");
        assertTrue(heap > 0, "heap used of " + process + ": " + heap);
        assertTrue(ExpositionText.has(first, "jvm_runtime_info", "worker", process));
        assertTrue(ExpositionText.has(first, "jvm_threads_state", "worker", process,
            "state", "RUNNABLE"));
      }
      promtoolClean(first);
      Set<String> series = jvmSeries(first);
      assertTrue(series.stream().noneMatch(s -> s.contains("pid=")), "no pid label: " + series);
      // fresh to about JvmMetrics.PERIOD: the sampler goes on after the first sample, in the
      // workers and the front (an idle JVM's sampler thread alone spends some CPU)
      for (String process : List.of("1", "front")) {
        double was = ExpositionText.value(first, "process_cpu_seconds_total", "worker", process);
        server.awaitWhileAlive(
            () -> cpuSeconds(server, process) > was,
            Progress.stretched(Duration.ofSeconds(15)),
            "process_cpu_seconds_total{worker=\"" + process + "\"} to grow past " + was);
      }

      for (int kill = 1; kill <= 2; kill++) {
        String before = server.get("/metrics").body();
        long victim = WorkerFaultsIT.pidOf(server, 0);
        ProcessHandle handle = ProcessHandle.of(victim).orElseThrow();
        assertTrue(handle.destroyForcibly(), "SIGKILL worker 0, pid " + victim);
        handle.onExit().get(1, TimeUnit.MINUTES);
        server.awaitWhileAlive(
            () -> replaced(server, victim),
            Progress.scaled(server.startup(), 10, Duration.ofSeconds(60)),
            "worker 0 replaced after kill " + kill);
        // the replacement's first sample is written before it says READY
        String after = server.get("/metrics").body();
        double started = ExpositionText.value(before, "process_start_time_seconds", "worker", "0");
        double restarted = ExpositionText.value(after, "process_start_time_seconds", "worker", "0");
        assertTrue(restarted > started, "process_start_time_seconds{worker=0} is the live"
            + " replacement's after kill " + kill + ": " + started + " -> " + restarted);
        for (String counter : COUNTERS) {
          double was = ExpositionText.value(before, counter, "worker", "0");
          double now = ExpositionText.value(after, counter, "worker", "0");
          assertTrue(now >= was, counter + "{worker=0} went down at kill " + kill + ": "
              + was + " -> " + now);
        }
        assertEquals(series, jvmSeries(after), "the same series after kill " + kill);
      }

      Instant scraped = prometheus.awaitScrapeAfter(Instant.now(), Duration.ofSeconds(30));
      for (String counter : List.of(
          "process_cpu_seconds_total", "jvm_classes_loaded_total", "jvm_threads_started_total",
          "jvm_gc_collection_seconds_count", "jvm_gc_collection_seconds_sum")) {
        Map<Map<String, String>, Double> resets =
            prometheus.vector("resets(" + counter + "{job=\"forkserve\"}[1h])", scraped);
        assertFalse(resets.isEmpty(), counter + " stored by Prometheus");
        resets.forEach((labels, n) -> assertEquals(0.0, n, "resets of " + counter + labels));
      }
      Map<Map<String, String>, Double> workers =
          prometheus.vector("count by (worker) (process_cpu_seconds_total)", scraped);
      assertEquals(3, workers.size(), "one series per process: " + workers);
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang only
  void noJvmMetricsLeavesThemOutOfTheFrontAndTheWorkers() throws Exception {
    try (ServerProcess server =
        ServerProcess.start("--workers", "1", "--no-jvm-metrics").awaitReady()) {
      server.post("/predict", "{\"input\": 1}");
      String metrics = server.get("/metrics").body();
      assertTrue(metrics.contains("forkserve_workers_up"), metrics);
      assertEquals(Set.of(), jvmSeries(metrics));
    }
  }

  private static boolean replaced(ServerProcess server, long victim) {
    try {
      return WorkerFaultsIT.pidOf(server, 0) != victim && WorkerFaultsIT.readyOf(server, 0);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static double cpuSeconds(ServerProcess server, String process) {
    try {
      return ExpositionText.value(
          server.get("/metrics").body(), "process_cpu_seconds_total", "worker", process);
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  /** True when a sample {@code name} of {@code process} is in the scrape. */
  private static boolean anySample(String exposition, String name, String process) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + "{")) {
        ExpositionText.Sample sample = ExpositionText.parseLine(line);
        if (sample.name().equals(name) && process.equals(sample.labels().get("worker"))) {
          return true;
        }
      }
    }
    return false;
  }

  /** The jvm_* and process_* series of a scrape. */
  private static Set<String> jvmSeries(String exposition) {
    Set<String> series = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.startsWith("jvm_") || line.startsWith("process_")) {
        ExpositionText.Sample sample = ExpositionText.parseLine(line);
        series.add(SampleKeys.of(sample.name(), sample.labels()));
      }
    }
    return series;
  }

  private static void promtoolClean(String exposition) throws Exception {
    Path promtool = Tools.require("promtool");
    Processes.Result result =
        Processes.exec(
            exposition.getBytes(StandardCharsets.UTF_8), promtool.toString(), "check", "metrics");
    String output = result.stdout() + result.stderr();
    assertEquals(0, result.exit(), output);
    assertEquals("", output.trim(), "promtool check metrics");
    assertTrue(Files.isExecutable(promtool));
  }
}
