package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** End to end through real processes: one server, ScriptedApi, 2 workers, batches of 8. */
class ServingIT {
  static final String KEY = "s3cret";
  static final ObjectMapper JSON = new ObjectMapper();
  static ServerProcess server;
  static JsonNode pidsAtStart;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start(
                "--api", ScriptedApi.class.getName(),
                "--workers", "2",
                "--max-batch-size", "8",
                "--batch-timeout", "20ms",
                "--timeout", "10s",
                "--max-payload", "4KB",
                "--api-key", KEY)
            .awaitHealthy();
    pidsAtStart = workerPids();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> predict(String body, String... headers) throws Exception {
    List<String> all =
        new ArrayList<>(List.of("X-API-Key", KEY, "Content-Type", "application/json"));
    all.addAll(List.of(headers));
    return server.post("/predict", body, all.toArray(new String[0]));
  }

  static JsonNode workerPids() throws Exception {
    JsonNode info = JSON.readTree(server.get("/info", "X-API-Key", KEY).body());
    List<Long> pids = new ArrayList<>();
    info.get("workers").forEach(w -> pids.add(w.get("pid").asLong()));
    return JSON.valueToTree(pids);
  }

  static void assertJsonError(HttpResponse<String> response, int status, String fragment)
      throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    JsonNode body = JSON.readTree(response.body());
    assertEquals(status, body.get("status").asInt());
    assertTrue(
        body.get("error").asText().contains(fragment),
        () -> "error " + body + " should mention " + fragment);
  }

  @Test
  void predictRoundTrip() throws Exception {
    HttpResponse<String> response = predict("{\"input\": {\"x\": [1, 2.5, \"three\"]}}");
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = JSON.readTree(response.body());
    assertEquals(JSON.readTree("{\"x\": [1, 2.5, \"three\"]}"), body.get("output"));
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
  }

  @Test
  void concurrentRequestsAreBatchedUpToTheMaxBatchSize() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 96; i++) {
      HttpRequest request =
          HttpRequest.newBuilder(server.uri("/predict"))
              .header("X-API-Key", KEY)
              .POST(HttpRequest.BodyPublishers.ofString("{\"input\": " + i + ", \"sleep_ms\": 2}"))
              .build();
      calls.add(server.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }
    int largest = 0;
    Set<Integer> workers = new HashSet<>();
    for (int i = 0; i < calls.size(); i++) {
      HttpResponse<String> response = calls.get(i).get();
      assertEquals(200, response.statusCode(), response.body());
      JsonNode body = JSON.readTree(response.body());
      assertEquals(i, body.get("output").asInt());
      int batch = body.get("batch").asInt();
      assertTrue(batch >= 1 && batch <= 8, "batch size " + batch);
      largest = Math.max(largest, batch);
      workers.add(body.get("worker").asInt());
    }
    assertTrue(largest > 1, "no batch larger than 1 under concurrent load");
    assertEquals(Set.of(0, 1), workers, "both workers should serve under load");
  }

  @Test
  void bodyOverTheLimitIs413() throws Exception {
    String big = "{\"input\": \"" + "x".repeat(5000) + "\"}";
    assertJsonError(predict(big), 413, "limit");
  }

  @Test
  void chunkedBodyOverTheLimitIs413() throws Exception {
    byte[] big = ("{\"input\": \"" + "x".repeat(5000) + "\"}").getBytes();
    HttpRequest request =
        HttpRequest.newBuilder(server.uri("/predict"))
            .header("X-API-Key", KEY)
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
            .build();
    assertJsonError(server.send(request), 413, "limit");
  }

  @Test
  void malformedJsonIs400() throws Exception {
    assertJsonError(predict("{\"input\": [1, 2"), 400, "malformed JSON");
  }

  @Test
  void missingOrWrongApiKeyIs401() throws Exception {
    assertJsonError(server.post("/predict", "{\"input\": 1}"), 401, "missing X-API-Key");
    assertJsonError(
        server.post("/predict", "{\"input\": 1}", "X-API-Key", "nope"), 401, "wrong API key");
  }

  @Test
  void userExceptionIs500WithJsonError() throws Exception {
    assertJsonError(predict("{\"input\": 1, \"fail\": \"boom\"}"), 500, "boom");
  }

  @Test
  void httpErrorKeepsItsStatusAndMessage() throws Exception {
    assertJsonError(predict("{\"input\": 1, \"http_status\": 418}"), 418, "teapot says no");
  }

  @Test
  void authorizeCanRefuse() throws Exception {
    assertJsonError(predict("{\"input\": 1}", "X-Deny", "yes"), 403, "denied by authorize");
  }

  @Test
  void wrongMethodAndUnknownPathAreJsonErrors() throws Exception {
    assertJsonError(server.get("/predict"), 405, "POST");
    assertJsonError(server.get("/nope"), 404, "/nope");
  }

  @Test
  void workersSurviveEveryErrorAndKeepServing() throws Exception {
    predict("{\"input\": 1, \"fail\": \"boom\"}");
    assertJsonError(predict("{\"input\": 1, \"assert\": \"bad state\"}"), 500, "bad state");
    predict("{\"input\": [1, 2");
    predict("{\"input\": 1, \"http_status\": 418}");
    for (int i = 0; i < 4; i++) {
      assertEquals(200, predict("{\"input\": " + i + "}").statusCode());
    }
    assertEquals(pidsAtStart, workerPids());
    assertEquals(200, server.get("/health").statusCode());
  }

  @Test
  void middlewaresRunInOrderAndLoggersSeeWorkerLogs() throws Exception {
    HttpResponse<String> response = predict("{\"input\": 1, \"log\": {\"seen\": 42}}");
    assertEquals(200, response.statusCode());
    assertEquals(List.of("outer", "inner"), response.headers().allValues("X-Middleware"));
    assertEquals(
        List.of("outer", "inner"), server.get("/health").headers().allValues("X-Middleware"));
    ServerProcess.await(
        () -> {
          try {
            return server.get("/logged").body().contains("{\"seen\":{\"seen\":42}}");
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(5),
        "the logged value to reach the front's logger");
    JsonNode logged = JSON.readTree(server.get("/logged").body());
    assertTrue(logged.get("requests").asInt() >= 1);
    assertTrue(logged.get("responses").asInt() >= 1);
  }

  @Test
  void healthAndInfo() throws Exception {
    HttpResponse<String> health = server.get("/health");
    assertEquals(200, health.statusCode());
    assertEquals("ok", JSON.readTree(health.body()).get("status").asText());
    JsonNode info = JSON.readTree(server.get("/info", "X-API-Key", KEY).body());
    assertEquals(ScriptedApi.class.getName(), info.get("api").asText());
    assertEquals("scripted", info.get("metadata").get("name").asText());
    assertEquals(2, info.get("workers").size());
    assertEquals("8", info.get("settings").get("max-batch-size").asText());
    assertEquals("(set)", info.get("settings").get("api-key").asText());
  }

  @Test
  void keepAliveServesManyRequestsOnOneConnection() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
      var out = socket.getOutputStream();
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream()));
      for (int i = 0; i < 3; i++) {
        String body = "{\"input\": " + i + "}";
        out.write(
            ("POST /predict HTTP/1.1\r\nHost: x\r\nX-API-Key: "
                    + KEY
                    + "\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body)
                .getBytes());
        out.flush();
        assertEquals("HTTP/1.1 200 OK", in.readLine());
        int length = -1;
        for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
          if (line.toLowerCase().startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        char[] chars = new char[length];
        int read = 0;
        while (read < length) {
          read += in.read(chars, read, length - read);
        }
        assertEquals(i, JSON.readTree(new String(chars)).get("output").asInt());
      }
    }
  }
}
