package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.testsupport.PyFile;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.SampleKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several processes, several threads each, update shared and distinct series and create new ones
 * while others update (the files grow and are remapped meanwhile); the totals summed over all files
 * by a test-only parser are exact.
 */
class ConcurrencyIT {
  private static final int PROCESSES = 3;
  private static final int THREADS = 4;
  private static final int OPS = 40_000;
  private static final int GROWN = 400;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void totalsAreExactAcrossThreadsAndProcesses() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("metrics"));
    List<Process> processes = new ArrayList<>();
    for (int p = 0; p < PROCESSES; p++) {
      processes.add(
          Processes.startJava(
              tmp.resolve("w" + p + ".log"),
              ConcurrentWriterMain.class,
              dir.toString(),
              "" + p,
              "" + THREADS,
              "" + OPS,
              "" + GROWN));
    }
    for (int p = 0; p < PROCESSES; p++) {
      Path log = tmp.resolve("w" + p + ".log");
      assertEquals(
          0, Processes.await(processes.get(p), log, Duration.ofSeconds(120)), Processes.read(log));
    }

    Map<String, Double> totals = sumAllFiles(dir);
    long perProcess = (long) THREADS * OPS;
    long all = PROCESSES * perProcess;
    assertEquals((double) all, totals.remove(SampleKeys.of("shared_total")));
    for (int p = 0; p < PROCESSES; p++) {
      for (int t = 0; t < THREADS; t++) {
        assertEquals(
            2.0 * OPS,
            totals.remove(SampleKeys.of("per_thread_total", "proc", "" + p, "thread", "" + t)));
        for (int i = 0; i < GROWN; i++) {
          assertEquals(
              1.0,
              totals.remove(
                  SampleKeys.of("grow_total", "proc", "" + p, "thread", "" + t, "i", "" + i)));
        }
      }
    }
    // observe(k % 4) for k < OPS: values 0, 1, 2, 3 equally often (OPS is a multiple of 4).
    double quarter = all / 4.0;
    assertEquals(
        2 * quarter, totals.remove(SampleKeys.of("h_bucket", "kind", "shared", "le", "1.0")));
    assertEquals(quarter, totals.remove(SampleKeys.of("h_bucket", "kind", "shared", "le", "2.0")));
    assertEquals(quarter, totals.remove(SampleKeys.of("h_bucket", "kind", "shared", "le", "+Inf")));
    assertEquals(quarter * 6, totals.remove(SampleKeys.of("h_sum", "kind", "shared")));
    assertEquals((double) all, totals.remove(SampleKeys.of("s_count")));
    assertEquals(all * 0.5, totals.remove(SampleKeys.of("s_sum")));
    assertEquals(0.0, totals.remove(SampleKeys.of("inflight")));
    assertEquals(Map.of(), totals);
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(
          files.anyMatch(
              f ->
                  f.getFileName().toString().startsWith("counter_") && f.toFile().length() > 65536),
          "the counter files grew past their first 64 KiB while threads were updating");
    }
  }

  /** Sums every (sample, labels) over all files of the directory. */
  private static Map<String, Double> sumAllFiles(Path dir) throws Exception {
    Map<String, Double> totals = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        for (PyFile.Entry e : PyFile.read(file, FormatVersion.V2)) {
          JsonNode key = JSON.readTree(e.key());
          Map<String, String> labels = new TreeMap<>();
          key.get(2).properties().forEach(l -> labels.put(l.getKey(), l.getValue().asText()));
          totals.merge(SampleKeys.of(key.get(1).asText(), labels), e.value(), Double::sum);
        }
      }
    }
    return totals;
  }
}
