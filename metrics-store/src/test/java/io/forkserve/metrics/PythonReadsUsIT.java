package io.forkserve.metrics;

import static io.forkserve.metrics.PythonScenario.LATENCY_BUCKETS;
import static io.forkserve.metrics.PythonScenario.LATENCY_VALUES;
import static io.forkserve.metrics.PythonScenario.PROCESSES;
import static io.forkserve.metrics.PythonScenario.QUEUES;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.PythonExposition;
import io.forkserve.testsupport.SampleKeys;
import io.forkserve.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java processes write a directory in format v1; Debian's python3-prometheus-client (0.16)
 * MultiProcessCollector reads it, and its exposition must hold exactly the samples the test
 * computes from what the processes were told to do ({@link PythonScenario}), and our own merge
 * of the same directory must give the same samples and HELP texts as Python's.
 */
class PythonReadsUsIT {
  @TempDir Path tmp;

  @Test
  void pythonCollectorReadsWhatJavaProcessesWrote() throws Exception {
    Tools.require("python3-prometheus-client");
    Path dir = Files.createDirectory(tmp.resolve("metrics"));
    List<Long> pids = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    for (int i = 0; i < PROCESSES; i++) {
      Path log = tmp.resolve("writer-" + i + ".log");
      Process p = Processes.startJava(log, PythonScenarioMain.class, dir.toString(), "" + i);
      processes.add(p);
      pids.add(p.pid());
    }
    for (int i = 0; i < PROCESSES; i++) {
      Path log = tmp.resolve("writer-" + i + ".log");
      assertEquals(
          0, Processes.await(processes.get(i), log, Duration.ofSeconds(60)), Processes.read(log));
    }

    String exposition = PythonExposition.scrape(dir);

    assertEquals(expectedSamples(pids), ExpositionText.samples(exposition), exposition);
    Map<String, String> help = ExpositionText.help(exposition);
    assertEquals(PythonScenario.JOBS_HELP, help.get("jobs_total"));
    assertEquals(PythonScenario.LATENCY_HELP, help.get("latency_seconds"));

    String ours = ourExposition(dir);
    Map<String, Double> ourSamples = ExpositionText.samples(ours);
    ourSamples.keySet().removeIf(k -> k.startsWith("forkserve_metrics_"));
    assertEquals(ExpositionText.samples(exposition), ourSamples, ours);
    Map<String, String> ourHelp = ExpositionText.help(ours);
    ourHelp.keySet().removeIf(k -> k.startsWith("forkserve_metrics_"));
    assertEquals(help, ourHelp);
  }

  private static String ourExposition(Path dir) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    Exposition.write(DirectoryScraper.scrapeOnce(dir), ExpositionFormat.TEXT, out);
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static Map<String, Double> expectedSamples(List<Long> pids) {
    Map<String, Double> expected = new TreeMap<>();
    int repeats = 0;
    for (int i = 0; i < PROCESSES; i++) {
      repeats += PythonScenario.repeats(i);
    }
    for (int q = 0; q < QUEUES.size(); q++) {
      double ok = 0;
      double error = 0;
      for (int i = 0; i < PROCESSES; i++) {
        ok += PythonScenario.jobsOk(i, q);
        error += PythonScenario.jobsError(i, q);
      }
      expected.put(SampleKeys.of("jobs_total", "queue", QUEUES.get(q), "outcome", "ok"), ok);
      if (error > 0) {
        expected.put(
            SampleKeys.of("jobs_total", "queue", QUEUES.get(q), "outcome", "error"), error);
      }
    }
    expected.put(SampleKeys.of("plain_total"), (double) (1 + 2 + 3));

    String route = "/ü/\"x\"";
    String[] le = {"0.3", "1.0", "10.0", "+Inf"};
    double valueSum = 0;
    for (double v : LATENCY_VALUES) {
      valueSum += v;
    }
    for (int b = 0; b < le.length; b++) {
      double bound = b < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[b] : Double.POSITIVE_INFINITY;
      long below = java.util.Arrays.stream(LATENCY_VALUES).filter(v -> v <= bound).count();
      expected.put(
          SampleKeys.of("latency_seconds_bucket", "route", route, "le", le[b]),
          (double) below * repeats);
    }
    expected.put(
        SampleKeys.of("latency_seconds_count", "route", route),
        (double) LATENCY_VALUES.length * repeats);
    expected.put(SampleKeys.of("latency_seconds_sum", "route", route), valueSum * repeats);

    String[] defaultLe = {
      "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0",
      "7.5", "10.0", "+Inf"
    };
    for (int b = 0; b < defaultLe.length; b++) {
      double cumulative = b >= 6 ? repeats : 0; // 0.125 lands in le="0.25", the 7th bucket
      expected.put(SampleKeys.of("default_buckets_bucket", "le", defaultLe[b]), cumulative);
    }
    expected.put(SampleKeys.of("default_buckets_count"), (double) repeats);
    expected.put(SampleKeys.of("default_buckets_sum"), 0.125 * repeats);

    expected.put(SampleKeys.of("payload_bytes_count", "kind", "json"), (double) repeats);
    expected.put(SampleKeys.of("payload_bytes_sum", "kind", "json"), 1024.0 * repeats);

    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (int i = 0; i < PROCESSES; i++) {
      double v = PythonScenario.gaugeSet(i) + 0.25;
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      for (String mode : List.of("all", "liveall")) {
        expected.put(
            SampleKeys.of("g_" + mode, "shard", "s1", "pid", Long.toString(pids.get(i))), v);
      }
    }
    for (String mode : List.of("min", "livemin")) {
      expected.put(SampleKeys.of("g_" + mode, "shard", "s1"), min);
    }
    for (String mode : List.of("max", "livemax")) {
      expected.put(SampleKeys.of("g_" + mode, "shard", "s1"), max);
    }
    for (String mode : List.of("sum", "livesum")) {
      expected.put(SampleKeys.of("g_" + mode, "shard", "s1"), sum);
    }
    return expected;
  }
}
