package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /metrics} of a real 2-worker server: merged counts equal what the test sent. */
class MetricsIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static ServerProcess server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start("--api", ScriptedApi.class.getName(), "--workers", "2").awaitHealthy();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String scrape() throws IOException {
    HttpResponse<String> response = server.get("/metrics");
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }

  /**
   * The value of the one sample named {@code name} whose labels include all of {@code labels}
   * ({@code key="value"} each); fails when the series is absent or ambiguous.
   */
  static double sample(String text, String name, String... labels) {
    return ExpositionText.value(text, name, pairs(labels));
  }

  /** {@code sample(after) - sample(before)}, where a series not yet there before counts as 0. */
  static double increase(String before, String after, String name, String... labels) {
    String[] pairs = pairs(labels);
    double base = ExpositionText.has(before, name, pairs) ? sample(before, name, labels) : 0;
    return sample(after, name, labels) - base;
  }

  private static String[] pairs(String... labels) {
    List<String> pairs = new ArrayList<>();
    for (String label : labels) {
      int eq = label.indexOf("=\"");
      pairs.add(label.substring(0, eq));
      pairs.add(label.substring(eq + 2, label.length() - 1));
    }
    return pairs.toArray(new String[0]);
  }

  @Test
  void mergedCountsEqualWhatWasSentAcrossBothWorkers() throws Exception {
    String before = scrape();
    int ok = 60;
    int failing = 3;
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < ok + failing; i++) {
      String body = i < ok ? "{\"input\": " + i + "}" : "{\"input\": 0, \"fail\": \"boom\"}";
      calls.add(
          server.http.sendAsync(
              HttpRequest.newBuilder(server.uri("/predict"))
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    Set<Integer> workers = new HashSet<>();
    for (int i = 0; i < calls.size(); i++) {
      HttpResponse<String> response = calls.get(i).get();
      assertEquals(i < ok ? 200 : 500, response.statusCode());
      if (i < ok) {
        workers.add(JSON.readTree(response.body()).get("worker").asInt());
      }
    }
    assertEquals(Set.of(0, 1), workers, "the load should reach both workers");
    String after = scrape();

    String http = "forkserve_http_request_duration_seconds_count";
    String[] predictOk = {"route=\"/predict\"", "method=\"POST\"", "status=\"200\""};
    String[] predict500 = {"route=\"/predict\"", "method=\"POST\"", "status=\"500\""};
    assertEquals(ok, increase(before, after, http, predictOk));
    assertEquals(failing, increase(before, after, http, predict500));

    String stage = "forkserve_stage_duration_seconds_count";
    String decode = "function=\"ScriptedApi.decodeRequest\"";
    String encode = "function=\"ScriptedApi.encodeResponse\"";
    assertEquals(ok + failing, increase(before, after, stage, decode));
    assertEquals(ok, increase(before, after, stage, encode));
    assertEquals(ok, increase(before, after, "forkserve_batch_size_sum"));
    String user = "scripted_predictions_total";
    assertEquals(ok, increase(before, after, user), "user metric from setup()");
    assertEquals(2, sample(after, "forkserve_workers_up"));
    for (String reason : List.of("crash", "timeout", "recycle", "scale", "reload")) {
      String label = "reason=\"" + reason + "\"";
      assertEquals(0, sample(after, "forkserve_worker_restarts_total", label), label);
    }
    assertEquals(0, sample(after, "forkserve_crash_loop"));

    JsonNode info = JSON.readTree(server.get("/info").body());
    Path dir = Path.of(info.get("metrics_dir").asText());
    for (JsonNode worker : info.get("workers")) {
      Path file = dir.resolve("histogram_" + worker.get("pid").asLong() + ".db");
      assertTrue(Files.exists(file), "worker file " + file);
    }
  }

  @Test
  void theScrapePassesPromtoolWithoutWarnings() throws Exception {
    server.post("/predict", "{\"input\": 1}");
    Processes.Result promtool =
        Processes.exec(
            scrape().getBytes(StandardCharsets.UTF_8),
            Tools.require("promtool").toString(),
            "check",
            "metrics");
    String output = promtool.stdout() + promtool.stderr();
    assertEquals(0, promtool.exit(), output);
    assertEquals("", output.trim());
  }

  @Test
  void gzipIsAppliedExactlyOnce() throws Exception {
    HttpResponse<byte[]> response =
        server.http.send(
            HttpRequest.newBuilder(server.uri("/metrics"))
                .header("Accept-Encoding", "gzip")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals("gzip", response.headers().firstValue("Content-Encoding").orElse(""));
    byte[] once = new GZIPInputStream(new ByteArrayInputStream(response.body())).readAllBytes();
    String text = new String(once, StandardCharsets.UTF_8);
    assertTrue(text.startsWith("# HELP "), text.substring(0, Math.min(40, text.length())));
  }

  @Test
  void openMetricsIsNegotiated() throws Exception {
    HttpResponse<String> response =
        server.send(
            HttpRequest.newBuilder(server.uri("/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0")
                .build());
    assertTrue(
        response
            .headers()
            .firstValue("Content-Type")
            .orElse("")
            .startsWith("application/openmetrics-text"));
    assertTrue(response.body().endsWith("# EOF\n"));
  }
}
