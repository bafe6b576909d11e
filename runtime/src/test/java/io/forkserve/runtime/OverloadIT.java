package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Timeouts, a full queue, health and devices: 2 workers, a queue of 2. Every request here sleeps at
 * least 50 ms, so each worker asks for one request at a time (its credit window is one batch).
 */
class OverloadIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static ServerProcess server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start(
                "--api", ScriptedApi.class.getName(),
                "--workers", "2",
                "--timeout", "2s",
                "--max-queue", "2",
                "--devices", "0,cuda:1")
            .awaitHealthy();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  CompletableFuture<HttpResponse<String>> sendAsync(String body) {
    HttpRequest request =
        HttpRequest.newBuilder(server.uri("/predict"))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return server.http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode info() throws Exception {
    return JSON.readTree(server.get("/info").body());
  }

  @Test
  void requestPastTheTimeoutIs504AndTheWorkerGoesOn() throws Exception {
    HttpResponse<String> slow = server.post("/predict", "{\"input\": 1, \"sleep_ms\": 3000}");
    assertEquals(504, slow.statusCode(), slow.body());
    assertTrue(JSON.readTree(slow.body()).get("error").asText().contains("timed out"));
    ServerProcess.await(
        () -> {
          try {
            return server.post("/predict", "{\"input\": 7, \"sleep_ms\": 50}").statusCode() == 200;
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(10),
        "a request to succeed after the timeout");
  }

  @Test
  void fullQueueIs503WithRetryAfter() throws Exception {
    ServerProcess.await(() -> inWorkers() == 0, Duration.ofSeconds(10), "idle workers");
    List<CompletableFuture<HttpResponse<String>>> busy = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      busy.add(sendAsync("{\"input\": 1, \"sleep_ms\": 800}"));
    }
    ServerProcess.await(() -> inWorkers() == 2, Duration.ofSeconds(5), "both workers busy");
    for (int i = 0; i < 2; i++) {
      busy.add(sendAsync("{\"input\": 1, \"sleep_ms\": 50}"));
    }
    ServerProcess.await(() -> queueDepth() == 2, Duration.ofSeconds(5), "a full queue");
    HttpResponse<String> refused = server.post("/predict", "{\"input\": 2, \"sleep_ms\": 50}");
    assertEquals(503, refused.statusCode(), refused.body());
    assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
    assertTrue(JSON.readTree(refused.body()).get("error").asText().contains("queue is full"));
    for (CompletableFuture<HttpResponse<String>> call : busy) {
      assertEquals(200, call.get().statusCode());
    }
  }

  @Test
  void anUnhealthyWorkerMakesHealth503UntilItRecovers() throws Exception {
    HttpResponse<String> response =
        server.post("/predict", "{\"input\": 1, \"sleep_ms\": 50, \"unhealthy_ms\": 2500}");
    assertEquals(200, response.statusCode());
    ServerProcess.await(
        () -> server.statusOf("/health") == 503, Duration.ofSeconds(5), "/health 503");
    ServerProcess.await(
        () -> server.statusOf("/health") == 200, Duration.ofSeconds(10), "/health 200 again");
  }

  @Test
  void eachWorkerGetsItsDeviceAndCudaVisibleDevices() throws Exception {
    JsonNode workers = info().get("workers");
    assertEquals("cuda:0", workers.get(0).get("device").asText());
    assertEquals("cuda:1", workers.get(1).get("device").asText());
    JsonNode answer =
        JSON.readTree(server.post("/predict", "{\"input\": 1, \"sleep_ms\": 50}").body());
    int worker = answer.get("worker").asInt();
    assertEquals("cuda:" + worker + "/" + worker, answer.get("device").asText());
  }

  static int inWorkers() {
    try {
      return info().get("in_workers").asInt();
    } catch (Exception e) {
      return -1;
    }
  }

  static int queueDepth() {
    try {
      return info().get("queue_depth").asInt();
    } catch (Exception e) {
      return -1;
    }
  }
}
