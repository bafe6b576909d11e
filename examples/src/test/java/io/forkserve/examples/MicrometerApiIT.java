package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * of both are merged in {@code /metrics} with exact totals, and a Micrometer binder's gauge shows
 * one series per worker.
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
      // client_java through the bridge, and the binders' gauges: written by 1 s samplers
      String[] last = {ours};
      Progress.await(
          () -> {
            last[0] = scrapeOrEmpty(port);
            return ExpositionText.has(last[0], "echo_input_chars_count")
                && ExpositionText.value(last[0], "echo_input_chars_count") == 60.0
                && series(last[0], "system_cpu_count{pid=").size() == 2;
          },
          server.process::isAlive,
          Progress.stretched(Duration.ofSeconds(30)),
          "the client_java histogram at 60 and system_cpu_count of both workers");
      ours = last[0];
      assertEquals(60.0, ExpositionText.value(ours, "echo_input_chars_bucket", "le", "+Inf"));
      Map<String, Double> merged = ExpositionText.samples(ours);
      assertEquals(List.of(0.0, 1.0), series(ours, "echo_worker_index{pid="),
          "one live series per worker: " + ours);
      assertTrue(
          merged.keySet().stream().anyMatch(s -> s.startsWith("jvm_memory_used_bytes{")), ours);
      // a series only Micrometer's ProcessorMetrics binder makes (forkserve's JVM metrics have
      // no system_*): one per live worker, each the worker JVM's processor count
      int cpus = Runtime.getRuntime().availableProcessors();
      assertEquals(List.of((double) cpus, (double) cpus), series(ours, "system_cpu_count{pid="));

      // Python's collector: see PythonReadsMetersIT in the micrometer module, and MetricsFormatIT
      // (runtime) for Debian's 0.16 on the live directory of a --metrics-format v1 server.
    } finally {
      server.close();
    }
  }

  /** The values of the samples whose key starts with {@code prefix}, sorted. */
  private static List<Double> series(String exposition, String prefix) {
    List<Double> values = new ArrayList<>();
    ExpositionText.samples(exposition).forEach((series, value) -> {
      if (series.startsWith(prefix)) {
        values.add(value);
      }
    });
    values.sort(null);
    return values;
  }

  private static String scrapeOrEmpty(int port) {
    try {
      return scrape(port);
    } catch (Exception e) {
      return "";
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
