package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.runtime.WorkerFaultsIT.Load;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.SampleKeys;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 end to end: workers recycled {@value #DEFAULT_RESTARTS} times under load (set {@code
 * -Dforkserve.restarts=N} for a longer run; the soak lives in benchmarks/chaos), each dead worker
 * folded into the LMDB archive. The wait follows the recycle rate measured on this run: it goes
 * on while recycles happen and fails when they stall (a busy machine is slower, not failing).
 * Every counter and histogram count in every scrape is at least what the scrape before
 * saw; the directory never holds more than the live processes' files plus the archive; and the
 * merged predictions counter equals the 200s the clients got.
 */
class ArchiveRestartsIT {
  /**
   * Five recycles per worker slot: each folds a dead worker's files into the archive and starts a
   * replacement that writes the same series, enough to see every counter stay monotonic across
   * folds and the directory stay bounded (without folds it would pass the bound at the second
   * recycle of each slot). Each recycle costs a worker JVM start (about a CPU-second), so the
   * soak in benchmarks/chaos runs the long version.
   */
  private static final int DEFAULT_RESTARTS = 10;
  private static final int WORKERS = 2;

  /** The longest the scraper waits for a change of the directory before it scrapes anyway. */
  private static final Duration SCRAPE_PERIOD = Duration.ofMillis(100);

  @TempDir Path dir;

  @Test
  @Timeout(value = 60, unit = TimeUnit.MINUTES) // a hang only: the wait below follows progress
  void countersStayMonotonicAndTheDirectoryBoundedOverManyRestarts() throws Exception {
    int restarts = Integer.getInteger("forkserve.restarts", DEFAULT_RESTARTS);
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicInteger scrapes = new AtomicInteger();
    AtomicInteger maxFiles = new AtomicInteger();
    AtomicInteger changes = new AtomicInteger();
    Set<String> kinds = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (ServerProcess server =
            ServerProcess.start(
                    Map.of("METRICS_MULTIPROC_DIR", dir.toString()),
                    "--api", ScriptedApi.class.getName(),
                    "--workers", Integer.toString(WORKERS),
                    "--max-requests", "8",
                    "--max-requests-jitter", "0",
                    "--worker-jvm-opts",
                    "-XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1")
                .awaitHealthy();
        Load load = new Load(server, 4, "{\"input\":1,\"sleep_ms\":20}")) {
      AtomicBoolean running = new AtomicBoolean(true);
      Thread scraper = new Thread(() -> {
        Map<String, Double> last = new HashMap<>();
        // a scrape at each change of the directory (a worker's first files, a fold's deletes),
        // and every SCRAPE_PERIOD between: not a loop that holds a core of the front's
        try (WatchService watch = dir.getFileSystem().newWatchService()) {
          dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE,
              StandardWatchEventKinds.ENTRY_DELETE);
          while (running.get()) {
            scrapeOnce(server, last, violations);
            scrapes.incrementAndGet();
            int files = countFiles(dir, kinds);
            maxFiles.accumulateAndGet(files, Math::max);
            WatchKey key = watch.poll(SCRAPE_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
            if (key != null) {
              changes.addAndGet(key.pollEvents().size());
              key.reset();
            }
          }
        } catch (IOException | InterruptedException e) {
          violations.add("scraper: " + e);
        }
      }, "scraper");
      scraper.start();
      // the first recycle needs 8 requests and a worker start: a few start-ups at most
      Duration took;
      try {
        took = Progress.awaitCount(
            () -> WorkerFaultsIT.restarts(server, "recycle"),
            restarts,
            Progress.scaled(server.startup(), 10, Duration.ofSeconds(30)),
            () -> !violations.isEmpty() || !server.process.isAlive(),
            restarts + " recycles");
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; server alive " + server.process.isAlive()
            + "; went down: " + violations.subList(0, Math.min(5, violations.size()))
            + "; stderr " + server.stderr, e);
      }
      load.stop();
      running.set(false);
      scraper.join(30_000);

      assertTrue(violations.isEmpty(), () -> violations.size() + " went down, e.g. "
          + violations.subList(0, Math.min(5, violations.size())));
      assertTrue(load.errors.isEmpty(), () -> "client errors: " + load.errors);
      long ok = load.outcomes.stream().filter(o -> o.status() == 200).count();
      assertEquals(load.outcomes.size(), ok, () -> "every request answered 200 across the"
          + " recycles; others: " + load.outcomes.stream().filter(o -> o.status() != 200)
              .limit(5).toList());
      assertEquals((double) ok, predictions(server), "merged predictions = 200s the clients got");
      // live processes: the front, the workers and a replacement per worker while it starts
      int bound = (1 + 2 * WORKERS) * kinds.size() + 1;
      assertTrue(maxFiles.get() <= bound,
          "at most " + bound + " entries in the directory, saw " + maxFiles.get() + " " + kinds);
      assertTrue(scrapes.get() > 10, "scrapes: " + scrapes.get());
      System.out.printf(
          "ArchiveRestartsIT: %d recycles in %.1f s, %d scrapes, %d directory changes, at most"
              + " %d files%n",
          restarts, took.toMillis() / 1e3, scrapes.get(), changes.get(), maxFiles.get());
    }
  }

  private static double predictions(ServerProcess server) throws IOException {
    return WorkerFaultsIT.predictions(server);
  }

  /** Records every monotonic sample that is lower than in the scrape before. */
  private static void scrapeOnce(
      ServerProcess server, Map<String, Double> last, List<String> violations) {
    String body;
    try {
      body = server.get("/metrics").body();
    } catch (IOException e) {
      violations.add("scrape failed: " + e);
      return;
    }
    for (String line : body.split("\n")) {
      if (line.startsWith("#") || line.isEmpty()) {
        continue;
      }
      ExpositionText.Sample sample = ExpositionText.parseLine(line);
      String name = sample.name();
      String series = SampleKeys.of(name, sample.labels());
      if (!(name.endsWith("_total") || name.endsWith("_count") || name.endsWith("_bucket"))) {
        continue;
      }
      if (name.startsWith("forkserve_metrics_skipped")) {
        continue;
      }
      double value = sample.value();
      Double before = last.put(series, value);
      if (before != null && value < before) {
        violations.add(series + ": " + before + " -> " + value);
      }
    }
  }

  /** Entries in the directory; notes the file kinds ({@code counter}, {@code gauge_livesum}). */
  private static int countFiles(Path dir, Set<String> kinds) {
    int n = 0;
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        names.add(p.getFileName().toString());
        n++;
      }
    } catch (IOException e) {
      return -1;
    }
    Set<String> seen = new HashSet<>();
    for (String name : names) {
      if (name.endsWith(".db")) {
        seen.add(name.substring(0, name.lastIndexOf('_')));
      }
    }
    kinds.addAll(seen);
    // the lock file is ours and constant; count only metric files and the archive folder
    return n - (names.contains("forkserve.lock") ? 1 : 0);
  }
}
