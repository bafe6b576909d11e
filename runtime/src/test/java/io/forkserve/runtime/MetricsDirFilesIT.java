package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.directory.MultiprocDirectoryException;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Progress;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the front holds open in its metrics directory. A recycled worker's files, once folded
 * into the archive, are closed at once, with no scrape in between (their disk space comes back
 * even when nobody scrapes). Then a cleanup script deletes the directory and makes it again
 * while the server serves: /metrics answers 200, keeps no file of the old directory open for
 * reading, reports the archive it had to replace once (skip reason archive), and counts exactly
 * what is written into the new directory.
 */
class MetricsDirFilesIT {
  private static final int MAX_REQUESTS = 3;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang only: the waits follow progress
  void foldedFilesAreClosedAtOnce_andADirectoryMadeAgainIsScrapedAfresh() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("metrics"));
    try (ServerProcess server = ServerProcess.start(
            Map.of("METRICS_MULTIPROC_DIR", dir.toString()),
            "--api", ScriptedApi.class.getName(),
            "--workers", "1",
            "--max-requests", Integer.toString(MAX_REQUESTS),
            "--max-requests-jitter", "0",
            "--worker-jvm-opts", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .awaitReady()) {
      long front = server.process.pid();
      Duration limit = Progress.scaled(server.startup(), 5, Duration.ofSeconds(30));
      predict(server, MAX_REQUESTS - 1);
      assertEquals(200, server.get("/metrics").statusCode());
      List<String> workerFiles = readOpen(front, dir).stream()
          .filter(f -> !f.contains("/" + MultiprocDirectory.ARCHIVE_FOLDER + "/")).toList();
      assertTrue(!workerFiles.isEmpty(), "the scrape left no worker file open");

      predict(server, 1); // the last request of the first worker: recycled, then folded
      server.awaitWhileAlive(() -> WorkerFaultsIT.restarts(server, "recycle") >= 1, limit,
          "the recycle of the first worker");
      server.awaitWhileAlive(() -> workerFiles.stream().noneMatch(f -> Files.exists(Path.of(f))),
          limit, "the fold of the first worker's files " + workerFiles);
      server.awaitWhileAlive(() -> readOpen(front, dir).stream()
          .noneMatch(f -> workerFiles.contains(f.replace(" (deleted)", ""))),
          limit, "the front to close the folded files without a scrape");
      server.awaitWhileAlive(() -> server.statusOf("/health") == 200, limit, "the next worker");

      predict(server, 1); // the second worker's files exist in the directory about to go
      // the server may create a file while the tree is walked (as under rm -rf): walk again
      server.awaitWhileAlive(() -> {
        try {
          MultiprocDirectory.deleteTree(dir);
          return true;
        } catch (MultiprocDirectoryException e) {
          return false;
        }
      }, limit, "the deletion of the metrics directory");
      Files.createDirectories(dir);
      HttpResponse<String> after = server.get("/metrics");
      assertEquals(200, after.statusCode(), after.body());
      assertEquals(1.0, ExpositionText.value(after.body(), "forkserve_metrics_skipped_files",
          "reason", "archive"), "the archive of the old directory, replaced: " + after.body());
      assertEquals(List.of(), deleted(readOpen(front, dir)), "files of the old directory");
      assertTrue(server.stderr.stream().anyMatch(l -> l.contains(
          "the metrics directory was deleted or replaced while in use")), "said why: "
          + server.stderr);

      predict(server, MAX_REQUESTS - 1); // the second worker recycles: its files are gone
      // the second worker serves until the third is ready (a rolling recycle)
      server.awaitWhileAlive(() -> server.stdout.stream()
          .filter(l -> l.startsWith("forkserve: worker 0 ready in")).count() >= 2, limit,
          "the third worker");
      predict(server, 2);
      HttpResponse<String> fresh = server.get("/metrics");
      assertEquals(200, fresh.statusCode(), fresh.body());
      assertEquals(2.0, ExpositionText.value(fresh.body(), "scripted_predictions_total"),
          "what the third worker wrote into the new directory: " + fresh.body());
      assertEquals(0.0, ExpositionText.value(fresh.body(), "forkserve_metrics_skipped_files",
          "reason", "archive"), fresh.body());
      assertEquals(List.of(), deleted(readOpen(front, dir)), "files of the old directory");
    }
  }

  private static void predict(ServerProcess server, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      assertEquals(200, server.post("/predict", "{\"input\":1}").statusCode());
    }
  }

  private static List<String> deleted(List<String> open) {
    return open.stream().filter(f -> f.endsWith(" (deleted)")).toList();
  }

  /**
   * Files under {@code dir} that process {@code pid} has open for reading, but its own metric
   * files (which it writes) and the directory's lock: the scraper's and the archive's.
   */
  private static List<String> readOpen(long pid, Path dir) {
    List<String> out = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          String name = target.substring(target.lastIndexOf('/') + 1);
          if (target.startsWith(dir + "/") && !name.startsWith(MultiprocDirectory.LOCK_FILE)
              && !name.contains("_" + pid + ".") && !name.contains("_" + pid + "s")) {
            out.add(target);
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    } catch (IOException e) {
      out.add("cannot list the descriptors: " + e);
    }
    return out;
  }
}
