package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.Tmpfs;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, finding 10, end to end: the metrics directory is a small tmpfs, filled up while a
 * worker serves. The worker is recycled with the disk full (its fold fails) and a new one starts
 * on the full disk: /predict keeps answering 200, /health 200, no empty file is left. Once space
 * is freed, the pending fold is retried and the predictions counter is exact: every request of
 * the worker whose series existed before the disk filled, none of the worker that could not
 * record (its series work in memory only).
 */
class FullDiskIT {
  private static final int MAX_REQUESTS = 10;
  private static final int WARM_UP = 3;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES) // a hang only: the waits follow progress
  void serverServesOnAFullMetricsDisk_andTheArchiveCatchesUpOnceSpaceIsFreed() throws Exception {
    try (Tmpfs tmpfs = Tmpfs.mount(tmp.resolve("metrics"), "4m");
        ServerProcess server = ServerProcess.start(
                Map.of("METRICS_MULTIPROC_DIR", tmpfs.path().toString()),
                "--api", ScriptedApi.class.getName(),
                "--workers", "1",
                "--max-requests", Integer.toString(MAX_REQUESTS),
                "--max-requests-jitter", "0",
                "--worker-jvm-opts", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
            .awaitReady()) { // the archive is open (start-up done) before the disk fills
      for (int i = 0; i < WARM_UP; i++) { // the first worker's series exist on disk
        assertEquals(200, server.post("/predict", "{\"input\":1}").statusCode());
      }
      List<String> firstWorker = filesNotOf(tmpfs.path(), server.process.pid());
      assertTrue(!firstWorker.isEmpty(), "the first worker wrote no metric file");
      tmpfs.fill();
      for (int i = WARM_UP; i < MAX_REQUESTS; i++) { // the last one recycles the worker
        assertEquals(200, server.post("/predict", "{\"input\":1}").statusCode());
      }
      Duration limit = Progress.scaled(server.startup(), 5, Duration.ofSeconds(30));
      server.awaitWhileAlive(() -> WorkerFaultsIT.restarts(server, "recycle") >= 1, limit,
          "the recycle of the first worker");
      // the process id of the name, not its digits: a stripe file is TYPE_PIDsN.db
      long firstPid = Long.parseLong(MetricFileName.parse(firstWorker.get(0)).processId());
      server.awaitWhileAlive(
          () -> !ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false), limit,
          "the first worker (pid " + firstPid + ") to exit");
      server.awaitWhileAlive(() -> server.statusOf("/health") == 200, limit,
          "/health 200 with a worker started on the full disk");
      tmpfs.fill(); // the fold deleted live-gauge files: fill the space they freed
      for (int i = 0; i < 5; i++) {
        assertEquals(200, server.post("/predict", "{\"input\":1}").statusCode(),
            "a worker that cannot write metrics still serves");
      }
      assertEquals(List.of(), emptyFiles(tmpfs.path()), "empty files left on the full disk");
      // the second worker recorded only once it could create its counter file, which space
      // freed by the first worker's fold may allow at any moment: the listing and the scrape
      // must agree in one pass
      double[] expectedSeen = new double[2];
      try {
        server.awaitWhileAlive(() -> {
          List<String> second = filesNotOf(tmpfs.path(), server.process.pid());
          second.removeAll(firstWorker);
          boolean recorded = second.stream().anyMatch(f -> f.startsWith("counter_"));
          expectedSeen[0] = MAX_REQUESTS + (recorded ? 5 : 0);
          expectedSeen[1] = predictionsOrNaN(server);
          return expectedSeen[0] == expectedSeen[1];
        }, limit, "folded or not, every file counts once");
      } catch (AssertionError e) {
        throw new AssertionError("expected " + expectedSeen[0] + ", scraped " + expectedSeen[1]
            + "; files " + filesNotOf(tmpfs.path(), 0) + ", first worker " + firstWorker, e);
      }
      double expected = expectedSeen[0];
      tmpfs.free();
      server.awaitWhileAlive(() -> {
        List<String> left = filesNotOf(tmpfs.path(), server.process.pid());
        left.retainAll(firstWorker);
        return left.isEmpty();
      }, limit.plusSeconds(2 * DeadWorkers.RETRY_SECONDS),
          "the first worker's fold: " + firstWorker);
      assertEquals(expected, predictionsOrNaN(server), "counted once, from the archive");
      assertTrue(server.stderr.stream().noneMatch(l -> l.contains("\tat ")),
          "no stack traces: " + server.stderr);
    }
  }

  private static double predictionsOrNaN(ServerProcess server) {
    try {
      return WorkerFaultsIT.predictions(server);
    } catch (Exception | AssertionError e) {
      return Double.NaN;
    }
  }

  private static List<String> filesNotOf(Path dir, long pid) {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.db")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (!name.contains("_" + pid + ".db") && !name.contains("_" + pid + "s")) {
          out.add(name);
        }
      }
    } catch (java.io.IOException e) {
      out.add("cannot list: " + e);
    }
    return out;
  }

  private static List<String> emptyFiles(Path dir) throws Exception {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.db")) {
      for (Path f : files) {
        if (Files.size(f) == 0) {
          out.add(f.getFileName().toString());
        }
      }
    }
    return out;
  }
}
