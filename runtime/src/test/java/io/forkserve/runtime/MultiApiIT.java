package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Progress;
import io.forkserve.worker.EchoApi;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two APIs from one {@code --config} file: own pools and queues, /info, /health, admin, metrics.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiApiIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "multi-token";

  @TempDir static Path dir;
  static ServerProcess server;

  @BeforeAll
  static void start() throws Exception {
    Path config = dir.resolve("serve.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "server:",
            "  admin-token: " + TOKEN,
            "  port: 1", // the --port flag ServerProcess passes overrides it
            "apis:",
            "  - name: echo",
            "    class: " + EchoApi.class.getName(),
            "    workers: 2",
            "  - name: slow",
            "    class: " + ScriptedApi.class.getName(),
            "    path: /v1/slow",
            "    workers: 1",
            ""));
    server = ServerProcess.start("--config", config.toString()).awaitHealthy();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @Order(1)
  void infoListsEveryApi() throws Exception {
    JsonNode info = JSON.readTree(server.get("/info").body());
    JsonNode apis = info.get("apis");
    assertEquals(2, apis.size(), info.toString());
    assertEquals("echo", apis.get(0).get("name").asText());
    assertEquals("/echo", apis.get(0).get("api_path").asText());
    assertEquals(EchoApi.class.getName(), apis.get(0).get("api").asText());
    assertEquals(2, apis.get(0).get("workers").size());
    assertEquals("slow", apis.get(1).get("name").asText());
    assertEquals("/v1/slow", apis.get(1).get("api_path").asText());
    assertEquals(1, apis.get(1).get("workers").size());
    assertTrue(info.get("healthy").asBoolean());
  }

  @Test
  @Order(2)
  void healthIsOverallAndPerApi() throws Exception {
    HttpResponse<String> all = server.get("/health");
    assertEquals(200, all.statusCode(), all.body());
    JsonNode body = JSON.readTree(all.body());
    assertEquals(3, body.get("workers").asInt());
    assertEquals("ok", body.get("apis").get("echo").get("status").asText());
    assertEquals(1, body.get("apis").get("slow").get("ready_workers").asInt());
    HttpResponse<String> echo = server.get("/health?api=echo");
    assertEquals(200, echo.statusCode());
    assertEquals(2, JSON.readTree(echo.body()).get("ready_workers").asInt());
    HttpResponse<String> unknown = server.get("/health?api=nope");
    assertEquals(404, unknown.statusCode());
    assertTrue(JSON.readTree(unknown.body()).get("error").asText().contains("nope"));
  }

  @Test
  @Order(3)
  void aHeldApiDoesNotDelayAnotherAndMetricsCarryTheApiLabel() throws Exception {
    String before = server.get("/metrics").body();
    Path release = dir.resolve("release");
    List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String request = "{\"input\": " + i + ", \"wait_for_file\": \"" + release + "\"}";
      held.add(
          server.http.sendAsync(
              HttpRequest.newBuilder(server.uri("/v1/slow"))
                  .POST(HttpRequest.BodyPublishers.ofString(request))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    server.awaitWhileAlive(
        () -> inWorkers("slow") == 1 && queueDepth("slow") == 2,
        Duration.ofMinutes(1),
        "the slow API's worker holding one request and two queued");
    int echoes = 20;
    for (int i = 0; i < echoes; i++) {
      HttpResponse<String> echo = server.post("/echo", "{\"input\": " + i + "}");
      assertEquals(200, echo.statusCode(), echo.body());
    }
    for (CompletableFuture<HttpResponse<String>> h : held) {
      assertFalse(h.isDone(), "every echo was answered while the slow API held its requests");
    }
    Files.createFile(release);
    for (CompletableFuture<HttpResponse<String>> h : held) {
      HttpResponse<String> answer =
          h.get(Progress.stretched(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS);
      assertEquals(200, answer.statusCode(), answer.body());
    }

    String after = server.get("/metrics").body();
    String count = "forkserve_stage_duration_seconds_count";
    assertEquals(echoes, increase(before, after, count, "api", "echo", "stage", "predict"));
    assertEquals(3, increase(before, after, count, "api", "slow", "stage", "predict"));
    // the control loop sets workers_up on its passes: a busy machine may not have run one since
    // the second echo worker came up
    ServerProcess.await(
        () -> {
          try {
            return ExpositionText.value(server.get("/metrics").body(), "forkserve_workers_up",
                "api", "echo") == 2;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(10), "both echo workers up in forkserve_workers_up");
    assertEquals(1, ExpositionText.value(after, "forkserve_workers_up", "api", "slow"));
    assertEquals(0, ExpositionText.value(after, "forkserve_queue_depth", "api", "slow"));
    assertEquals(
        0,
        ExpositionText.value(
            after, "forkserve_worker_restarts_total", "api", "echo", "reason", "crash"));
    assertFalse(after.contains("api=\"default\""), "only the configured names are labels");
  }

  @Test
  @Order(4)
  void theAdminEndpointScalesOneApi() throws Exception {
    assertEquals(400, admin("/admin/workers?count=2").statusCode(), "several APIs: name one");
    HttpResponse<String> unknown = admin("/admin/workers?count=2&api=nope");
    assertEquals(400, unknown.statusCode());
    assertTrue(JSON.readTree(unknown.body()).get("error").asText().contains("nope"));
    assertEquals(202, admin("/admin/workers?count=2&api=slow").statusCode());
    server.awaitWhileAlive(
        () -> readyWorkers("slow") == 2, Duration.ofMinutes(2), "slow API at two workers");
    assertEquals(2, readyWorkers("echo"));
    String metrics = server.get("/metrics").body();
    assertEquals(
        1,
        ExpositionText.value(
            metrics, "forkserve_worker_restarts_total", "api", "slow", "reason", "scale"));
    assertEquals(
        0,
        ExpositionText.value(
            metrics, "forkserve_worker_restarts_total", "api", "echo", "reason", "scale"));
  }

  @Test
  @Order(5)
  void aBadEntryStopsStartUpWithOneLineNamingIt() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(
        bad, "apis:\n  - name: good\n  - name: broken\n    class: com.example.NoSuchApi\n");
    try (ServerProcess failing = ServerProcess.start("--config", bad.toString())) {
      assertEquals(Serve.EXIT_USAGE, failing.awaitExit(Duration.ofSeconds(20)));
      List<String> lines = failing.stderr.stream().filter(l -> !l.isBlank()).toList();
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(
          lines.get(0).contains("API broken: API class com.example.NoSuchApi not found"),
          lines.get(0));
    }
  }

  private static double increase(String before, String after, String name, String... labels) {
    double base =
        ExpositionText.has(before, name, labels) ? ExpositionText.value(before, name, labels) : 0;
    return ExpositionText.value(after, name, labels) - base;
  }

  private static JsonNode api(String name) {
    try {
      for (JsonNode api : JSON.readTree(server.get("/info").body()).get("apis")) {
        if (api.get("name").asText().equals(name)) {
          return api;
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new AssertionError("no API " + name + " in /info");
  }

  private static int inWorkers(String name) {
    return api(name).get("in_workers").asInt();
  }

  private static int queueDepth(String name) {
    return api(name).get("queue_depth").asInt();
  }

  private static int readyWorkers(String name) {
    try {
      return JSON.readTree(server.get("/health?api=" + name).body()).get("ready_workers").asInt();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private HttpResponse<String> admin(String path) throws Exception {
    return server.post(path, "", "Authorization", "Bearer " + TOKEN);
  }
}
