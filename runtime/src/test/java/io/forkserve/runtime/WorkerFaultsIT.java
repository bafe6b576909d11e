package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Progress;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crashes, crash loops, stuck workers and recycling, with real worker processes. */
class WorkerFaultsIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void killNineUnderLoadFailsOnlyTheHeldRequestsAndTheWorkerIsReplaced() throws Exception {
    try (ServerProcess server =
            ServerProcess.start("--api", ScriptedApi.class.getName(), "--workers", "2")
                .awaitHealthy();
        Load load = new Load(server, 4, "{\"input\":1,\"sleep_ms\":20}")) {
      load.awaitResponses(40);
      long victim = pidOf(server, 0);
      Path dir = Path.of(JSON.readTree(server.get("/info").body()).get("metrics_dir").asText());
      double counted = predictions(server);
      ProcessHandle.of(victim).orElseThrow().destroyForcibly(); // SIGKILL
      long killed = System.nanoTime();
      // one worker start-up, measured on this run (with room for a busy machine)
      Duration replaceLimit = Progress.scaled(server.startup(), 3, Duration.ofSeconds(10));
      server.awaitWhileAlive(
          () -> pidOf(server, 0) != victim && readyOf(server, 0),
          replaceLimit.multipliedBy(2),
          "a replacement of worker 0");
      double replacedSeconds = (System.nanoTime() - killed) / 1e9;
      int before = load.outcomes.size();
      load.awaitResponses(before + 40);
      load.stop();

      assertTrue(load.errors.isEmpty(), () -> "client errors (hangs?): " + load.errors);
      List<Outcome> failed = load.outcomes.stream().filter(o -> o.status != 200).toList();
      for (Outcome o : failed) {
        assertEquals(503, o.status, o.body);
        assertTrue(o.body.contains("worker 0 (pid " + victim + ") went away"), o.body);
        assertEquals("1", o.retryAfter);
      }
      assertTrue(failed.size() <= 4, "at most the 4 clients' requests were held: " + failed);
      assertTrue(
          replacedSeconds < replaceLimit.toMillis() / 1e3,
          "replaced in " + replacedSeconds + " s; start-up took " + server.startup());
      String line = "forkserve: worker 0 (pid " + victim + ") exited with code 137; restarting in";
      assertTrue(
          server.stderr.stream().anyMatch(l -> l.startsWith(line)), () -> "" + server.stderr);
      JsonNode info = JSON.readTree(server.get("/info").body());
      assertEquals(1, info.get("restarts").get("crash").asInt());
      // the dead worker's files were folded into the archive: gone, and nothing went backwards
      assertTrue(Files.isDirectory(dir.resolve("forkserve-archive")));
      try (var files = Files.list(dir)) {
        List<String> left =
            files
                .map(f -> f.getFileName().toString())
                .filter(f -> f.endsWith("_" + victim + ".db"))
                .toList();
        assertTrue(left.isEmpty(), "files of the dead worker: " + left);
      }
      double after = predictions(server);
      assertTrue(after >= counted + 40, counted + " then " + after);
      String metrics = server.get("/metrics").body();
      assertTrue(
          metrics.contains("forkserve_worker_restarts_total{api=\"default\",reason=\"crash\"} 1.0"), metrics);
      assertTrue(metrics.contains("forkserve_workers_up{api=\"default\"} 2.0"), metrics);
    }
  }

  @Test
  void crashLoopBacksOffReportsUnhealthyOnceAndHeals(@TempDir Path tmp) throws Exception {
    Path missing = tmp.resolve("model-missing");
    try (ServerProcess server =
        ServerProcess.start(
                Map.of("SCRIPTED_SETUP_FAIL_IF_EXISTS", missing.toString()),
                "--api",
                ScriptedApi.class.getName(),
                "--restart-backoff",
                "200ms",
                "--restart-backoff-max",
                "1600ms",
                "--crash-loop-restarts",
                "4",
                // wide enough that 4 failures fall in it however slowly a busy machine starts
                // workers (at load 40, with 60 s, the loop came only after 7 failures)
                "--crash-loop-window",
                "600s")
            .awaitHealthy()) {
      Files.writeString(missing, "");
      long victim = pidOf(server, 0);
      ProcessHandle.of(victim).orElseThrow().destroyForcibly();
      long killed = System.nanoTime();
      ServerProcess.await(
          () -> server.statusOf("/health") == 503 && healthCause(server).contains("crash loop"),
          Duration.ofSeconds(30),
          "/health to report the crash loop");
      String cause = healthCause(server);
      assertTrue(cause.contains("IllegalStateException: model file missing"), cause);

      JsonNode info = JSON.readTree(server.get("/info").body());
      assertTrue(info.get("crash_loop").asBoolean());
      List<Double> crashSpawns = new ArrayList<>();
      info.get("spawns")
          .forEach(
              s -> {
                if (s.get("reason").asText().equals("crash")) {
                  crashSpawns.add(s.get("at_seconds").asDouble());
                }
              });
      // 4 failures: the kill and 3 failed setups; each restart waited at least half its delay
      assertTrue(crashSpawns.size() >= 3, "spawns " + crashSpawns);
      for (int i = 1; i < crashSpawns.size(); i++) {
        double gap = crashSpawns.get(i) - crashSpawns.get(i - 1);
        double minDelay = 0.5 * Math.min(1.6, 0.2 * (1 << i));
        assertTrue(gap >= minDelay, "gap " + i + " = " + gap + " s, spawns " + crashSpawns);
      }
      double elapsed = (System.nanoTime() - killed) / 1e9;
      // no storm: no more starts than the backoff allows (first delays + capped ones after)
      int bound = 4 + (int) Math.ceil(elapsed / 0.8);
      assertTrue(crashSpawns.size() <= bound, crashSpawns.size() + " spawns in " + elapsed + " s");
      assertTrue(server.get("/metrics").body().contains("forkserve_crash_loop{api=\"default\"} 1.0"));

      Files.delete(missing);
      ServerProcess.await(() -> server.statusOf("/health") == 200, Duration.ofSeconds(30), "heal");
      long loopLines =
          server.stderr.stream().filter(l -> l.startsWith("forkserve: crash loop:")).count();
      assertEquals(1, loopLines, () -> "stderr: " + server.stderr);
      long causeLines =
          server.stderr.stream().filter(l -> l.contains("model file missing")).count();
      // one stack trace, one line per failure before the loop, the loop line; then silence
      assertTrue(causeLines <= 5, () -> causeLines + " lines name the cause: " + server.stderr);
      assertTrue(server.get("/metrics").body().contains("forkserve_crash_loop{api=\"default\"} 0.0"));
    }
  }

  @Test
  void aPredictStuckPastTheWorkerTimeoutGetsItsWorkerReplaced() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
                Map.of("SCRIPTED_CHILD_PROCESS", "601"),
                "--api",
                ScriptedApi.class.getName(),
                "--worker-timeout",
                "2s",
                "--timeout",
                "60s")
            .awaitHealthy()) {
      long stuck = pidOf(server, 0);
      ServerProcess.await(
          () -> childrenOf(stuck).size() == 1, Duration.ofSeconds(5), "the worker's child");
      ProcessHandle child = childrenOf(stuck).get(0);
      long sent = System.nanoTime();
      HttpResponse<String> answer = server.post("/predict", "{\"input\":1,\"sleep_ms\":60000}");
      double seconds = (System.nanoTime() - sent) / 1e9;
      assertEquals(503, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("pid " + stuck), answer.body());
      assertTrue(answer.body().contains("without a heartbeat (--worker-timeout)"), answer.body());
      assertTrue(seconds >= 2 && seconds < 10, "answered after " + seconds + " s");
      // the 503 may be sent before the slot shows its replacement: await the new worker
      ServerProcess.await(
          () -> pidOf(server, 0) != stuck && readyOf(server, 0), Duration.ofSeconds(20),
          "a new worker in slot 0");
      assertEquals(200, server.statusOf("/health"));
      assertTrue(ProcessHandle.of(stuck).map(p -> !p.isAlive()).orElse(true), "stuck one gone");
      ServerProcess.await(() -> !child.isAlive(), Duration.ofSeconds(5), "its child killed too");
      assertEquals(200, server.post("/predict", "{\"input\":2}").statusCode());
      JsonNode info = JSON.readTree(server.get("/info").body());
      assertEquals(1, info.get("restarts").get("timeout").asInt());
      assertEquals(0, info.get("restarts").get("crash").asInt());
    }
  }

  @Test
  void recyclingAfterMaxRequestsFailsNoRequest() throws Exception {
    try (ServerProcess server =
            ServerProcess.start(
                    "--api",
                    ScriptedApi.class.getName(),
                    "--workers",
                    "2",
                    "--max-requests",
                    "40",
                    "--max-requests-jitter",
                    "10")
                .awaitHealthy();
        Load load = new Load(server, 4, "{\"input\":1,\"sleep_ms\":20}")) {
      Progress.awaitCount(
          () -> restarts(server, "recycle"),
          3,
          Progress.scaled(server.startup(), 10, Duration.ofSeconds(30)),
          () -> !server.process.isAlive(),
          "3 recycles");
      int seen = load.outcomes.size();
      load.awaitResponses(seen + 20);
      load.stop();
      assertTrue(load.errors.isEmpty(), () -> "client errors: " + load.errors);
      List<Outcome> failed = load.outcomes.stream().filter(o -> o.status != 200).toList();
      assertTrue(failed.isEmpty(), () -> failed.size() + " failed, e.g. " + failed.get(0).body);
      assertEquals(0, restarts(server, "crash"));
      assertTrue(
          server.stdout.stream().anyMatch(l -> l.contains("(--max-requests)")), "recycle line");
    }
  }

  @Test
  void aWorkerOverMaxWorkerRssIsRecycledWithoutFailingARequest() throws Exception {
    try (ServerProcess server =
            ServerProcess.start("--api", ScriptedApi.class.getName(), "--max-worker-rss", "1MB")
                .awaitHealthy();
        Load load = new Load(server, 2, "{\"input\":1,\"sleep_ms\":20}")) {
      long first = pidOf(server, 0);
      ServerProcess.await(
          () -> restarts(server, "recycle") >= 1 && pidOf(server, 0) != first,
          Duration.ofSeconds(20),
          "a recycle for memory");
      load.awaitResponses(load.outcomes.size() + 10);
      load.stop();
      assertTrue(load.errors.isEmpty(), () -> "client errors: " + load.errors);
      assertTrue(load.outcomes.stream().allMatch(o -> o.status() == 200), "all 200");
      assertTrue(
          server.stdout.stream().anyMatch(l -> l.contains("MiB (--max-worker-rss)")),
          () -> "stdout: " + server.stdout);
    }
  }

  /** The merged scripted_predictions_total of /metrics. */
  /** The merged {@code scripted_predictions_total}; fails when the series is absent. */
  static double predictions(ServerProcess server) throws IOException {
    return ExpositionText.value(server.get("/metrics").body(), "scripted_predictions_total");
  }

  static List<ProcessHandle> childrenOf(long pid) {
    return ProcessHandle.of(pid).map(p -> p.children().toList()).orElse(List.of());
  }

  static int restarts(ServerProcess server, String reason, String... headers) {
    try {
      JsonNode info = JSON.readTree(server.get("/info", headers).body());
      assertTrue(info.has("restarts"), () -> "/info without restarts: " + info);
      return info.get("restarts").get(reason).asInt();
    } catch (IOException e) {
      return -1;
    }
  }

  static String healthCause(ServerProcess server) {
    try {
      JsonNode cause = JSON.readTree(server.get("/health").body()).get("cause");
      return cause == null ? "" : cause.asText();
    } catch (IOException e) {
      return "";
    }
  }

  static JsonNode worker(ServerProcess server, int index) {
    try {
      return JSON.readTree(server.get("/info").body()).get("workers").get(index);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static long pidOf(ServerProcess server, int index) {
    return worker(server, index).path("pid").asLong();
  }

  static boolean readyOf(ServerProcess server, int index) {
    return worker(server, index).path("ready").asBoolean();
  }

  /** One answer a load client got. */
  record Outcome(int status, String body, String retryAfter) {}

  /**
   * Client threads posting one body in a loop, each call with a 10 s deadline. The tests' bodies
   * hold their worker with {@code sleep_ms} (20 ms): requests are in flight at every kill or
   * recycle, and the load stays at a few dozen requests a second per worker instead of as many
   * as the cores serve, which held both of them for the whole test.
   */
  static final class Load implements AutoCloseable {
    final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    Load(ServerProcess server, int clients, String body) {
      for (int i = 0; i < clients; i++) {
        Thread thread = new Thread(() -> run(server, body), "load-" + i);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
    }

    private void run(ServerProcess server, String body) {
      while (running.get()) {
        HttpRequest request =
            HttpRequest.newBuilder(server.uri("/predict"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
          HttpResponse<String> r = server.send(request);
          outcomes.add(
              new Outcome(
                  r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null)));
        } catch (IOException e) {
          if (running.get()) {
            errors.add(e.toString());
          }
        }
      }
    }

    /** Waits while answers keep coming (a stall fails), or until a client error. */
    void awaitResponses(int n) {
      if (!errors.isEmpty()) {
        return;
      }
      try {
        Progress.awaitCount(
            outcomes::size, n, Duration.ofSeconds(30), () -> !errors.isEmpty(), n + " answers");
      } catch (AssertionError e) {
        if (errors.isEmpty()) {
          throw e;
        }
      }
    }

    void stop() {
      running.set(false);
      for (Thread thread : threads) {
        try {
          thread.join(15_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    @Override
    public void close() {
      stop();
    }
  }
}
