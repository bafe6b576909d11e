package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.directory.MultiprocDirectory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up, readiness, start-up errors and the supervisor dying under its workers. */
class LifecycleIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void healthIs503UntilEveryWorkerIsReadyThen200(@TempDir Path tmp) throws Exception {
    Path setupDone = tmp.resolve("setup-done"); // the workers' setup holds until it exists
    try (ServerProcess server =
        ServerProcess.start(
                Map.of("SCRIPTED_SETUP_WAIT_FOR_FILE", setupDone.toString()),
                "--api",
                ScriptedApi.class.getName(),
                "--workers",
                "2")
            .awaitListening()) {
      var before = server.get("/health");
      assertEquals(503, before.statusCode());
      assertEquals(0, JSON.readTree(before.body()).get("ready_workers").asInt());
      Files.createFile(setupDone);
      server.awaitHealthy();
      var after = server.get("/health");
      assertEquals(200, after.statusCode());
      assertEquals(2, JSON.readTree(after.body()).get("ready_workers").asInt());
      // the line is printed as the last worker turns ready; the test reads stdout on its own thread
      ServerProcess.await(
          () -> server.stdout.stream().anyMatch(l -> l.contains("worker 2/2 ready in")),
          Duration.ofSeconds(10),
          "the 'worker 2/2 ready' progress line");
    }
  }

  @Test
  void noWorkerOutlivesASupervisorKilledWithSigkill() throws Exception {
    List<Long> workers = new ArrayList<>();
    Path leftBehind = null;
    try (ServerProcess server =
        ServerProcess.start("--api", ScriptedApi.class.getName(), "--workers", "2")
            .awaitHealthy()) {
      JsonNode info = JSON.readTree(server.get("/info").body());
      info.get("workers").forEach(w -> workers.add(w.get("pid").asLong()));
      leftBehind = Path.of(info.get("metrics_dir").asText());
      assertEquals(2, workers.size());
      for (long pid : workers) {
        assertTrue(ServerProcess.processesWith("WorkerMain").contains(pid), "worker listed");
      }
      server.process.destroyForcibly(); // SIGKILL: no shutdown hook runs
      server.awaitExit(Duration.ofSeconds(5));
      ServerProcess.await(
          () -> ServerProcess.processesWith("WorkerMain").stream().noneMatch(workers::contains),
          Duration.ofSeconds(5),
          "workers " + workers + " to exit");
    } finally {
      if (leftBehind != null) { // SIGKILL left the private metrics directory behind
        MultiprocDirectory.deleteTree(leftBehind);
      }
    }
  }

  @Test
  void unknownApiClassStopsWithOneLine() throws Exception {
    try (ServerProcess server = ServerProcess.start("--api", "com.example.NoSuchApi")) {
      assertEquals(Serve.EXIT_USAGE, server.awaitExit(Duration.ofSeconds(20)));
      assertOneLine(server, "API class com.example.NoSuchApi not found");
    }
  }

  @Test
  void portInUseStopsWithOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        ServerProcess server =
            ServerProcess.start("--port", Integer.toString(taken.getLocalPort()))) {
      assertNotEquals(0, server.awaitExit(Duration.ofSeconds(20)));
      assertOneLine(server, "in use");
    }
  }

  @Test
  void unusableMetricsDirectoryStopsWithOneLine(@TempDir Path tmp) throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
    try (ServerProcess server =
        ServerProcess.start(Map.of("METRICS_MULTIPROC_DIR", file.toString()))) {
      assertNotEquals(0, server.awaitExit(Duration.ofSeconds(20)));
      assertOneLine(server, "unusable");
    }
  }

  @Test
  void badFlagValueStopsWithOneLine() throws Exception {
    try (ServerProcess server = ServerProcess.start("--timeout", "soon")) {
      assertEquals(2, server.awaitExit(Duration.ofSeconds(20)));
      assertOneLine(server, "--timeout must be a duration");
    }
  }

  /** A wrong setting exits 2 whether it is a flag or a value in the --config file. */
  @Test
  void badConfigValueStopsWithOneLineAsABadFlagDoes(@TempDir Path tmp) throws Exception {
    Path config =
        Files.writeString(
            tmp.resolve("serve.yaml"),
            "apis:\n  - name: echo\n    class: io.forkserve.worker.EchoApi\n    timeout: soon\n");
    try (ServerProcess server = ServerProcess.start("--config", config.toString())) {
      assertEquals(Serve.EXIT_USAGE, server.awaitExit(Duration.ofSeconds(20)));
      assertOneLine(server, "soon");
    }
  }

  @Test
  void setupFailureStopsTheServerNamingTheCause() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            Map.of("SCRIPTED_SETUP_FAIL", "1"), "--api", ScriptedApi.class.getName())) {
      assertNotEquals(0, server.awaitExit(Duration.ofSeconds(20)));
      ServerProcess.await(
          () -> server.stderr.stream().anyMatch(l -> l.startsWith("forkserve: worker 0 setup")),
          Duration.ofSeconds(5),
          "the setup failure line");
      String line =
          server.stderr.stream().filter(l -> l.startsWith("forkserve: ")).findFirst().get();
      assertTrue(line.contains("IllegalStateException: model file missing"), line);
    }
  }

  static void assertOneLine(ServerProcess server, String fragment) {
    ServerProcess.await(() -> !server.stderr.isEmpty(), Duration.ofSeconds(5), "stderr");
    // the pump thread may still be reading: wait for the stream to end
    ServerProcess.await(() -> !server.process.isAlive(), Duration.ofSeconds(5), "exit");
    assertEquals(1, server.stderr.size(), () -> "stderr: " + server.stderr);
    assertTrue(server.stderr.get(0).startsWith("forkserve: "), server.stderr.get(0));
    assertTrue(server.stderr.get(0).contains(fragment), server.stderr.get(0));
  }
}
