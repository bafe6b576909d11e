package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A streaming API: each chunk reaches the client as soon as the worker emits it. */
class StreamingIT {
  static ServerProcess server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start("--api", StreamingApi.class.getName(), "--workers", "2").awaitHealthy();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void chunksArriveInOrderAsNdjson() throws Exception {
    HttpResponse<String> response = server.post("/predict", "{\"chunks\": 5}");
    assertEquals(200, response.statusCode());
    assertEquals("application/x-ndjson", response.headers().firstValue("Content-Type").get());
    assertEquals(
        "{\"chunk\":0}\n{\"chunk\":1}\n{\"chunk\":2}\n{\"chunk\":3}\n{\"chunk\":4}\n",
        response.body());
  }

  @Test
  void eachChunkIsFlushedBeforeTheNextIsProduced() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(server.uri("/predict"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"chunks\": 3, \"pause_ms\": 400}"))
            .build();
    long start = System.nanoTime();
    HttpResponse<InputStream> response =
        server.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    List<Long> arrivals = new ArrayList<>();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        arrivals.add((System.nanoTime() - start) / 1_000_000);
        assertEquals("{\"chunk\":" + (arrivals.size() - 1) + "}", line);
      }
    }
    assertEquals(3, arrivals.size());
    assertTrue(arrivals.get(0) < 350, "first chunk after " + arrivals.get(0) + " ms");
    assertTrue(
        arrivals.get(1) - arrivals.get(0) >= 300,
        "second chunk should come a pause after the first: " + arrivals);
  }
}
