package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.runtime.ChaosLoad.Kind;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scrapes a 3-worker forkserve every second while clients send good and bad
 * requests, workers are killed with SIGKILL, a corrupt and a foreign file lie in the metrics
 * directory and {@code bin/metrics merge} reads it; then the invariants a user relies on are
 * checked through PromQL and the client's own counts. Run length: system property {@code
 * forkserve.chaos.seconds} or variable {@code FORKSERVE_CHAOS_SECONDS}; 12 s in CI (at least
 * two kills, and the load goes on until a worker is recycled: every kind of fault at least once,
 * while the CPU the load holds is paid per second), {@code benchmarks/chaos/run.sh} soaks.
 */
class ChaosIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int WORKERS = 3;
  static final String KEY = "chaos-key";
  static final long MAX_PAYLOAD = 64 * 1024;
  static final Duration SERVER_TIMEOUT = Duration.ofSeconds(5);
  static final Duration CLIENT_DEADLINE = Duration.ofSeconds(10);
  static final int CONCURRENCY = 6;

  /**
   * How long a good request holds its worker: the 6 clients keep about two requests in flight
   * on each worker (so that every kill fails some), at about 100 requests a second instead of
   * the thousands two cores serve when nothing holds them (which held both cores for the run).
   */
  static final Duration HOLD = Duration.ofMillis(40);

  /** Requests after which a worker is recycled: several recycles per worker in a CI run. */
  static final int MAX_REQUESTS = 100;

  /** Metric file kinds one process may write: counter, histogram, summary, gauge_MODE (x5). */
  static final int KINDS_PER_PROCESS = 8;

  static final String REQUESTS =
      "sum by (status) (forkserve_http_request_duration_seconds_count{job=\"forkserve\","
          + "route!~\"/metrics|/health|/info\"})";

  @TempDir Path tmp;

  static Duration runLength() {
    String value = System.getProperty("forkserve.chaos.seconds");
    if (value == null) {
      value = System.getenv().getOrDefault("FORKSERVE_CHAOS_SECONDS", "12");
    }
    return Duration.ofSeconds(Long.parseLong(value.trim()));
  }

  /**
   * Prometheus's scrape interval and timeout for this run, from measurements: ten times the
   * slowest of a few scrapes taken now, and half a second per unit of load per core (whole
   * seconds, 2 to 10 s). A fixed 1 s made {@code up} dip at load 24 (scrapes of 0.8 s under the
   * chaos load) without any fault of the server.
   */
  static Duration scrapeInterval(ServerProcess server) throws IOException {
    long slowest = 0;
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      assertEquals(200, server.get("/metrics").statusCode());
      slowest = Math.max(slowest, System.nanoTime() - start);
    }
    double seconds = Math.max(slowest * 10 / 1e9, Progress.slowdown() / 2);
    return Duration.ofSeconds(Math.min(10, Math.max(2, (long) Math.ceil(seconds))));
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES) // a hang only; the run length is set below
  void invariantsHoldUnderLoadKillsAndBadFiles() throws Exception {
    Path metricsDir = tmp.resolve("metrics");
    Set<Long> pids = ConcurrentHashMap.newKeySet();
    Duration run = runLength();
    Report report = new Report();
    try (ServerProcess server =
            ServerProcess.start(
                    Map.of("METRICS_MULTIPROC_DIR", metricsDir.toString()),
                    "--api",
                    ScriptedApi.class.getName(),
                    "--workers",
                    Integer.toString(WORKERS),
                    "--api-key",
                    KEY,
                    "--max-payload",
                    Long.toString(MAX_PAYLOAD),
                    "--timeout",
                    SERVER_TIMEOUT.toMillis() + "ms",
                    "--max-requests",
                    Integer.toString(MAX_REQUESTS),
                    "--max-requests-jitter",
                    Integer.toString(MAX_REQUESTS / 4),
                    "--restart-backoff",
                    "100ms",
                    "--crash-loop-restarts",
                    "1000")
                .awaitHealthy();
        PrometheusServer prometheus =
            PrometheusServer.start(tmp, "127.0.0.1:" + server.port(), scrapeInterval(server))) {
      pids.add(server.process.pid());
      workerPids(server, pids);
      Instant first = prometheus.awaitScrapeAfter(Instant.now(), Duration.ofSeconds(30));
      Map<String, Long> baseline = byStatus(prometheus, first);

      Chaos chaos = new Chaos(server, metricsDir, pids);
      ChaosLoad load =
          new ChaosLoad(server.port(), KEY, MAX_PAYLOAD, CLIENT_DEADLINE, CONCURRENCY, HOLD)
              .start();
      chaos.start();
      Thread.sleep(run.toMillis()); // the length of the run, not a synchronisation
      // a slow machine serves fewer requests per run: go on until one recycle (MAX_REQUESTS per
      // worker) happened, allowing three times what that takes at the request rate measured
      double perSecond = Math.max(1, load.sent() / (double) run.toSeconds());
      long toRecycle = WORKERS * (MAX_REQUESTS + MAX_REQUESTS / 4);
      Progress.awaitCount(
          () -> WorkerFaultsIT.restarts(server, "recycle", "X-API-Key", KEY),
          1,
          Duration.ofSeconds(Math.max(30, (long) (3 * toRecycle / perSecond))),
          () -> !server.process.isAlive(),
          "a worker recycled under load (" + load.sent() + " requests sent)");
      // a kill waits for two ready workers, so a slow machine kills fewer per run: go on while
      // kills keep coming (each needs a worker start-up as measured on this run)
      Progress.awaitCount(
          chaos.kills::get,
          minKills(run),
          Progress.scaled(server.startup(), 10, Duration.ofSeconds(30)),
          () -> !server.process.isAlive(),
          "workers killed under load");
      load.stop();
      chaos.stop();
      // killed workers restart: a few start-ups as measured on this run
      server.awaitWhileAlive(
          () -> server.statusOf("/health") == 200,
          Progress.scaled(server.startup(), 5, Duration.ofSeconds(30)),
          "all workers back");
      workerPids(server, pids);

      Instant last = prometheus.awaitScrapeAfter(Instant.now(), Duration.ofSeconds(30));
      String range = "[" + (Duration.between(first, last).toSeconds() + 1) + "s]";
      report.sent = load.sent();
      report.counts = load.counts();
      report.kills = chaos.kills.get();
      report.merges = chaos.merges.get();
      report.seconds = run.toSeconds();

      // every scrape succeeded
      String up = "up{job=\"forkserve\"}";
      report.scrapes = (long) prometheus.scalar("count_over_time(" + up + range + ")", last);
      double upScrapes = prometheus.scalar("sum_over_time(" + up + range + ")", last);
      if (upScrapes != report.scrapes) {
        fail(
            (report.scrapes - upScrapes)
                + " of "
                + report.scrapes
                + " scrapes failed; up, scrape_duration_seconds: "
                + prometheus.query(up + range, last)
                + prometheus.query("scrape_duration_seconds{job=\"forkserve\"}" + range, last)
                + "; load average "
                + java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    .getSystemLoadAverage());
      }
      long expected = run.toSeconds() / prometheus.interval().toSeconds();
      assertTrue(report.scrapes >= expected / 2, "scrapes taken: " + report.scrapes);
      report.slowestScrape =
          prometheus.scalar(
              "max_over_time(scrape_duration_seconds{job=\"forkserve\"}" + range + ")", last);
      for (JsonNode target : prometheus.activeTargets()) {
        assertEquals("up", target.get("health").asText(), target.toString());
        assertEquals("", target.get("lastError").asText(), target.toString());
      }

      // no counter, histogram bucket or count went backwards
      for (String name : prometheus.metricNames()) {
        if (!name.matches(".+_(total|count|bucket)")) {
          continue;
        }
        Map<Map<String, String>, Double> resets =
            prometheus.vector("resets(" + name + "{job=\"forkserve\"}" + range + ")", last);
        report.monotonicSeries += resets.size();
        for (var series : resets.entrySet()) {
          report.resets += series.getValue().longValue();
          assertEquals(0.0, series.getValue(), () -> "resets of " + name + series.getKey());
        }
      }
      assertTrue(
          report.monotonicSeries > 20, "monotonic series checked: " + report.monotonicSeries);

      // the server counted exactly what the clients saw
      assertEquals(Map.of(), load.unanswered(), "requests without an answer");
      Map<String, Long> counted = byStatus(prometheus, last);
      baseline.forEach((status, n) -> counted.merge(status, -n, Long::sum));
      counted.values().removeIf(n -> n == 0);
      assertEquals(load.byStatus(), counted, "answers by status, clients vs PromQL");

      // nothing is left in flight (but the scrape itself) or queued once the clients stopped
      double inFlight =
          prometheus.scalar("forkserve_http_requests_in_flight{job=\"forkserve\"}", last);
      assertTrue(inFlight <= 1, "in flight after the load: " + inFlight);
      assertEquals(0.0, prometheus.scalar("forkserve_queue_depth{job=\"forkserve\"}", last));

      // each kind of request got only the answers it may get
      Map<Kind, Set<String>> allowed =
          Map.of(
              Kind.GOOD, Set.of("200", "503"),
              Kind.MALFORMED_JSON, Set.of("400", "503"),
              Kind.OVERSIZE, Set.of("413"),
              Kind.WRONG_KEY, Set.of("401"),
              Kind.UNKNOWN_PATH, Set.of("404"),
              Kind.SLOW_CLIENT, Set.of("200", "503"));
      load.counts()
          .keySet()
          .forEach(
              k -> {
                String[] kindAndOutcome = k.split(" ");
                assertTrue(
                    allowed.get(Kind.valueOf(kindAndOutcome[0])).contains(kindAndOutcome[1]), k);
              });
      for (Kind kind : Kind.values()) {
        assertTrue(
            load.counts().keySet().stream().anyMatch(k -> k.startsWith(kind + " ")),
            kind + " sent");
      }
      long failed503 = load.byStatus().getOrDefault("503", 0L);
      assertTrue(failed503 <= (long) report.kills * CONCURRENCY, "503s " + failed503);
      assertTrue(
          load.maxLatency().compareTo(SERVER_TIMEOUT.plusSeconds(2)) < 0,
          "slowest request " + load.maxLatency());
      report.maxLatency = load.maxLatency();

      // the bad files were skipped and counted, never failing a scrape
      assertEquals(
          2.0,
          prometheus.scalar("sum(forkserve_metrics_skipped_files{job=\"forkserve\"})", last),
          "skipped files");
      // every kill was a crash the supervisor replaced; recycling happened too
      assertTrue(chaos.kills.get() >= minKills(run), "workers killed: " + chaos.kills);
      // a kill is replaced by a crash restart, or by the successor a recycle had already started
      long crashes =
          increase(prometheus, "forkserve_worker_restarts_total{reason=\"crash\"}", first, last);
      report.recycles =
          increase(prometheus, "forkserve_worker_restarts_total{reason=\"recycle\"}", first, last);
      report.crashRestarts = crashes;
      assertTrue(report.recycles >= 1, "workers recycled: " + report.recycles);
      assertTrue(
          crashes <= report.kills && crashes >= report.kills - report.recycles,
          report.kills
              + " kills, "
              + crashes
              + " crash restarts, "
              + report.recycles
              + " recycles");
      assertTrue(chaos.merges.get() >= 1, "bin/metrics merge runs");
      chaos.failures.forEach(f -> fail("chaos side: " + f));

      // the directory is bounded
      long files;
      try (Stream<Path> list = Files.list(metricsDir)) {
        files = list.count();
      }
      boolean archived = Files.exists(metricsDir.resolve("forkserve-archive"));
      long processes = archived ? 1 + WORKERS : pids.size();
      long bound = processes * KINDS_PER_PROCESS + 3 + (archived ? 1 : 0);
      report.files = files;
      assertTrue(files <= bound, files + " files, bound " + bound + " (archive " + archived + ")");

      server.process.descendants().forEach(p -> pids.add(p.pid()));
      server.process.destroy(); // SIGTERM
      server.awaitExit(Duration.ofSeconds(30));
      prometheus.stop();
      ServerProcess.await(
          () -> pids.stream().noneMatch(p -> ProcessHandle.of(p).isPresent()),
          Duration.ofSeconds(15),
          "every forkserve process " + pids + " to exit");
      assertTrue(ProcessHandle.of(prometheus.pid()).isEmpty(), "prometheus exited");
      report.processes = pids.size();
    } finally {
      report.write(Path.of("target", "chaos-report.txt"));
    }
  }

  /** Value at {@code last} minus value at {@code first} of one series. */
  static long increase(PrometheusServer prometheus, String series, Instant first, Instant last)
      throws IOException {
    String query = series.replace("{", "{job=\"forkserve\",");
    return Math.round(prometheus.scalar(query, last) - prometheus.scalar(query, first));
  }

  /** Answers of the client-facing routes by status at {@code time}, from Prometheus. */
  static Map<String, Long> byStatus(PrometheusServer prometheus, Instant time) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    prometheus
        .vector(REQUESTS, time)
        .forEach((labels, v) -> out.put(labels.get("status"), v.longValue()));
    return out;
  }

  static void workerPids(ServerProcess server, Set<Long> pids) {
    try {
      JsonNode info = JSON.readTree(server.get("/info", "X-API-Key", KEY).body());
      for (JsonNode worker : info.get("workers")) {
        if (worker.get("pid").isNumber()) {
          pids.add(worker.get("pid").asLong());
        }
      }
    } catch (IOException e) {
      // the next poll will see them
    }
  }

  /** One kill per six seconds of the run's length, at least two (a kill is tried every 3 s). */
  static long minKills(Duration run) {
    return Math.max(2, run.toSeconds() / 6);
  }

  /** The faults run next to the load: kills, bad files, bin/metrics merge. */
  static final class Chaos {
    final ServerProcess server;
    final Path dir;
    final Set<Long> pids;
    final AtomicInteger kills = new AtomicInteger();
    final AtomicInteger merges = new AtomicInteger();
    final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    final ScheduledExecutorService executor = Executors.newScheduledThreadPool(2);

    Chaos(ServerProcess server, Path dir, Set<Long> pids) {
      this.server = server;
      this.dir = dir;
      this.pids = pids;
    }

    void start() {
      executor.scheduleWithFixedDelay(guard(this::killOne), 3, 3, TimeUnit.SECONDS);
      executor.schedule(guard(this::dropBadFiles), 2, TimeUnit.SECONDS);
      executor.scheduleWithFixedDelay(guard(this::merge), 1, 2, TimeUnit.SECONDS);
    }

    void stop() throws InterruptedException {
      executor.shutdown();
      assertTrue(executor.awaitTermination(60, TimeUnit.SECONDS), "chaos tasks ended");
    }

    interface Task {
      void run() throws Exception;
    }

    Runnable guard(Task task) {
      return () -> {
        try {
          task.run();
        } catch (Exception | AssertionError e) {
          failures.add(e.toString());
        }
      };
    }

    /** SIGKILLs one ready worker, when another stays ready to serve. */
    void killOne() throws Exception {
      List<Long> ready = new ArrayList<>();
      JsonNode info = JSON.readTree(server.get("/info", "X-API-Key", KEY).body());
      for (JsonNode worker : info.get("workers")) {
        if (worker.get("pid").isNumber()) {
          pids.add(worker.get("pid").asLong());
          if (worker.get("ready").asBoolean()) {
            ready.add(worker.get("pid").asLong());
          }
        }
      }
      if (ready.size() < 2) {
        return;
      }
      long victim = ready.get(kills.get() % ready.size());
      ProcessHandle handle = ProcessHandle.of(victim).orElseThrow();
      if (!handle.destroyForcibly()) {
        throw new IllegalStateException("could not kill worker " + victim);
      }
      handle.onExit().get(5, TimeUnit.SECONDS);
      kills.incrementAndGet();
    }

    /** A corrupt metric file and a foreign one, as another program might leave them. */
    void dropBadFiles() throws IOException {
      ByteBuffer corrupt = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
      corrupt.putInt(0, 4096);
      Arrays.fill(corrupt.array(), 8, 4096, (byte) 0xAB);
      Files.write(dir.resolve("counter_777777.db"), corrupt.array());
      Files.write(
          dir.resolve("app-cache.db"), "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code bin/metrics merge DIR} on the live directory: exit 0 and the request histogram. */
    void merge() throws Exception {
      Path root = Fixtures.projectRoot();
      if (!Files.isDirectory(root.resolve("runtime/target/lib"))) {
        throw new IllegalStateException(
            "bin/metrics needs `mvn package` first (runtime/target/lib)");
      }
      Processes.Result merge =
          Processes.exec(
              Duration.ofSeconds(30),
              List.of(root.resolve("bin/metrics").toString(), "merge", dir.toString()));
      if (merge.exit() != 0) {
        throw new IllegalStateException("bin/metrics merge failed: " + merge.output());
      }
      if (!merge.stdout().contains("forkserve_http_request_duration_seconds_count")) {
        throw new IllegalStateException("bin/metrics merge printed no request histogram");
      }
      merges.incrementAndGet();
    }
  }

  /** The figures of a run, written to target/chaos-report.txt for the README. */
  static final class Report {
    long seconds;
    long sent;
    Map<String, Long> counts = Map.of();
    int kills;
    long recycles;
    long crashRestarts;
    int merges;
    long scrapes;
    double slowestScrape;
    long monotonicSeries;
    long resets;
    long files;
    int processes;
    Duration maxLatency = Duration.ZERO;

    void write(Path file) throws IOException {
      String text =
          String.join(
              "\n",
              "run: "
                  + seconds
                  + " s of load, "
                  + ChaosIT.CONCURRENCY
                  + " clients, "
                  + WORKERS
                  + " workers",
              "requests sent: " + sent,
              "answers by kind and status: " + counts,
              "worker kills (SIGKILL) survived: " + kills,
              "restarts after a crash: " + crashRestarts + ", recycles: " + recycles,
              "bin/metrics merge runs: " + merges,
              "Prometheus scrapes taken (all up): " + scrapes,
              "slowest scrape: " + Math.round(slowestScrape * 1000) + " ms",
              "monotonic series checked: " + monotonicSeries + ", resets seen: " + resets,
              "slowest request: " + maxLatency.toMillis() + " ms",
              "files in the metrics directory at the end: " + files,
              "processes seen and gone after shutdown: " + processes,
              "");
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
      System.out.print(text);
    }
  }
}
