package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.internal.archive.JvmOpens;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.ServerProcess;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Serves the examples jar the way a user does: the runtime's class path, the API class from {@code
 * --jar}, 2 workers.
 */
class ExamplesIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void spiralClassifierServesBatchedPredictionsFromTheJar() throws Exception {
    ServerProcess server =
        serve(
            "--api", "io.forkserve.examples.SpiralClassifierApi",
            "--workers", "2",
            "--max-batch-size", "16",
            "--batch-timeout", "10ms");
    try {
      int port = server.awaitReady().port();
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        double angle = i * 0.3;
        String body =
            "{\"x\": " + 0.5 * Math.sin(angle) + ", \"y\": " + 0.5 * Math.cos(angle) + "}";
        calls.add(
            HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predict"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> call : calls) {
        HttpResponse<String> response = call.get();
        assertEquals(200, response.statusCode(), response.body());
        JsonNode answer = JSON.readTree(response.body());
        double sum = 0;
        for (JsonNode p : answer.get("probabilities")) {
          sum += p.asDouble();
        }
        assertEquals(1.0, sum, 1e-3);
        assertTrue(answer.get("arm").asInt() >= 0 && answer.get("arm").asInt() < 3);
      }
      HttpResponse<String> bad =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predict"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"x\": \"a\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(400, bad.statusCode());
    } finally {
      stop(server);
    }
  }

  /** The examples jar's API with {@code args}, on a free port, from the module's folder. */
  static ServerProcess serve(String... args) throws IOException {
    Path examplesJar;
    try (Stream<Path> jars = Files.list(Path.of("target"))) {
      examplesJar =
          jars.filter(
                  p ->
                      p.getFileName()
                          .toString()
                          .matches(
                              "forkserve-examples-[^-]*-SNAPSHOT\\.jar|forkserve-examples-[0-9.]+\\.jar"))
              .findFirst()
              .orElseThrow();
    }
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--jar", examplesJar.toString(), "--port", "0"));
    return serveRuntime(Path.of("").toAbsolutePath(), all);
  }

  /**
   * The runtime's {@code Serve} with {@code args}, run in {@code dir} on the runtime module's jar
   * and libraries as bin/serve runs it, with no metrics directory inherited.
   */
  static ServerProcess serveRuntime(Path dir, List<String> args) throws IOException {
    Path runtime = Fixtures.projectRoot().resolve("runtime/target");
    String runtimeJar;
    try (Stream<Path> jars = Files.list(runtime)) {
      runtimeJar =
          jars.filter(p -> p.getFileName().toString().matches("forkserve-runtime-.*\\.jar"))
              .findFirst()
              .orElseThrow()
              .toString();
    }
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of(JvmOpens.OPTIONS.split(" ")));
    command.add("-cp");
    command.add(runtimeJar + File.pathSeparator + runtime.resolve("lib") + File.separator + "*");
    command.add("io.forkserve.runtime.Serve");
    command.addAll(args);
    return ServerProcess.launch(command).directory(dir).start();
  }

  /** SIGTERM; fails unless the server exits within 30 s (stretched by the measured slowdown). */
  static void stop(ServerProcess server) throws InterruptedException {
    try {
      server.process.destroy();
      server.awaitExit(Duration.ofSeconds(30));
    } finally {
      server.close();
    }
  }
}
