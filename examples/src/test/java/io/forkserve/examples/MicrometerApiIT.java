package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/serve runs {@link MicrometerApi} from its with-deps jar in 2 workers: the Micrometer meters
 * of both are merged in {@code /metrics} with exact totals.
 */
class MicrometerApiIT {

  @TempDir Path dir;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
  void micrometerMetersOfTwoWorkersAreMergedInMetrics() throws Exception {
    ServerProcess server = serveWithBinServe();
    try {
      int port = server.awaitReady().port();
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        String body = i % 3 == 0 ? "{\"input\": " + i + "}" : "{\"input\": \"hello " + i + "\"}";
        calls.add(
            ExamplesIT.HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predict"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> call : calls) {
        assertEquals(200, call.get().statusCode(), call.get().body());
      }
      String ours = scrape(port);
      assertEquals(40.0, ExpositionText.value(ours, "echo_requests_total", "type", "string"));
      assertEquals(20.0, ExpositionText.value(ours, "echo_requests_total", "type", "number"));
      assertEquals(60.0, ExpositionText.value(ours, "echo_latency_seconds_count"));
      assertEquals(60.0, ExpositionText.value(ours, "echo_input_size_bytes_bucket", "le", "+Inf"));
      assertEquals(60.0, ExpositionText.value(ours, "echo_input_size_bytes_bucket", "le", "16.0"));
      // client_java, through the bridge: written within its 1 s interval.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (!ExpositionText.has(ours, "echo_input_chars_count")
          || ExpositionText.value(ours, "echo_input_chars_count") != 60.0) {
        assertTrue(System.nanoTime() < deadline, "client_java histogram never reached 60: " + ours);
        Thread.sleep(100); // polling a 1 s sampler; the condition is what ends the wait
        ours = scrape(port);
      }
      assertEquals(60.0, ExpositionText.value(ours, "echo_input_chars_bucket", "le", "+Inf"));
      Map<String, Double> merged = ExpositionText.samples(ours);
      List<Double> indexes = new ArrayList<>();
      merged.forEach(
          (series, value) -> {
            if (series.startsWith("echo_worker_index{pid=")) {
              indexes.add(value);
            }
          });
      indexes.sort(null);
      assertEquals(List.of(0.0, 1.0), indexes, "one live series per worker: " + ours);
      assertTrue(
          merged.keySet().stream().anyMatch(s -> s.startsWith("jvm_memory_used_bytes{")), ours);

      // Python's collector: see PythonReadsMetersIT in the micrometer module. The workers write
      // format v2, which prometheus_client 0.18+ reads and the Debian 0.16 here does not.
    } finally {
      server.close();
    }
  }

  private static String scrape(int port) throws Exception {
    return ExamplesIT.HTTP
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private ServerProcess serveWithBinServe() throws IOException {
    Path jar;
    try (Stream<Path> jars = Files.list(Path.of("target"))) {
      jar =
          jars.filter(p -> p.getFileName().toString().endsWith("-with-deps.jar"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no -with-deps jar: run mvn package first"));
    }
    return ServerProcess.launch(
            List.of(
                Path.of("..", "bin", "serve").toString(),
                "--api",
                MicrometerApi.class.getName(),
                "--jar",
                jar.toString(),
                "--workers",
                "2",
                "--port",
                "0"))
        .env(Map.of("METRICS_MULTIPROC_DIR", dir.toString()))
        .start();
  }
}
