package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probes of a real server, and its drain on SIGTERM. */
class DrainIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void duringStartUpLiveIsOkWhileReadyAndStartupAre503() throws Exception {
    Path setupDone = tmp.resolve("setup-done"); // the worker's setup holds until it exists
    try (ServerProcess server =
        ServerProcess.start(
                Map.of("SCRIPTED_SETUP_WAIT_FOR_FILE", setupDone.toString()),
                "--api",
                ScriptedApi.class.getName())
            .awaitListening()) {
      JsonNode startup = body(server.get("/health/startup"), 503);
      assertEquals("unavailable", startup.get("status").asText());
      body(server.get("/health/ready"), 503);
      assertEquals("ok", body(server.get("/health/live"), 200).get("status").asText());
      Files.createFile(setupDone);
      server.awaitHealthy();
      assertEquals("ok", body(server.get("/health/startup"), 200).get("status").asText());
      JsonNode ready = body(server.get("/health/ready"), 200);
      assertEquals(1, ready.get("ready_workers").asInt());
      assertEquals(1, ready.get("min_ready_workers").asInt());
      // the control loop starts just after the workers are ready: await its first turn
      server.awaitWhileAlive(
          () -> liveReports(server, "control_loop_age_seconds"),
          io.forkserve.testsupport.Progress.stretched(Duration.ofSeconds(10)),
          "/health/live reporting the control loop");
      assertEquals("ok", body(server.get("/health/live"), 200).get("status").asText());
    }
  }

  @Test
  void sigtermTurnsNotReadyServesThroughTheDrainDelayThenStops() throws Exception {
    Duration drainDelay = Duration.ofSeconds(5);
    try (ServerProcess server =
        ServerProcess.start(
                "--api", ScriptedApi.class.getName(), "--drain-delay", drainDelay.toSeconds() + "s")
            .awaitHealthy()) {
      assertEquals(200, server.post("/predict", "{\"input\":1}").statusCode());
      long term = System.nanoTime();
      OperationsIT.signal(server, "TERM"); // not Process.destroy(), which closes its output
      server.awaitWhileAlive(
          () -> server.statusOf("/health/ready") == 503,
          io.forkserve.testsupport.Progress.stretched(drainDelay),
          "/health/ready 503 after SIGTERM");
      JsonNode ready = body(server.get("/health/ready"), 503);
      assertTrue(ready.get("draining").asBoolean(), ready.toString());
      assertEquals(503, server.statusOf("/health"));
      assertEquals(200, server.statusOf("/health/live"), "draining is not dying");
      HttpResponse<String> during = server.post("/predict", "{\"input\":2}");
      assertEquals(200, during.statusCode(), during.body());
      assertTrue(
          server.stdout.stream().noneMatch(l -> l.contains("shutting down")),
          () -> "answered within the drain delay: " + server.stdout);
      assertEquals(0, server.awaitExit(drainDelay.plusSeconds(15)));
      double took = (System.nanoTime() - term) / 1e9;
      assertTrue(took >= drainDelay.toSeconds(), "stopped " + took + " s after SIGTERM");
      ServerProcess.await( // the pump may still be reading the last lines
          () -> server.stdout.contains("forkserve: stopped"), Duration.ofSeconds(5), "stopped");
      assertTrue(
          server.stdout.stream().anyMatch(l -> l.contains("draining: not ready")),
          () -> "stdout " + server.stdout);
    }
  }

  private static boolean liveReports(ServerProcess server, String field) {
    try {
      HttpResponse<String> live = server.get("/health/live");
      return live.statusCode() == 200 && JSON.readTree(live.body()).has(field);
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static JsonNode body(HttpResponse<String> response, int status) throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    return JSON.readTree(response.body());
  }
}
