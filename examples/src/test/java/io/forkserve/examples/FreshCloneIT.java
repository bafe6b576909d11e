package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.ServerProcess;
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
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A fresh clone as a new user gets it: its first {@code bin/serve} builds the project, and an API
 * in a Maven project of its own, outside the repository, builds against the {@code
 * forkserve-worker} that build installed and serves from its jar. The one test that builds the
 * whole project: its deadlines follow the build's output, not a fixed time.
 */
class FreshCloneIT {
  static final Path ROOT = DocsIT.ROOT;
  static final Duration QUIET_LIMIT = Duration.ofSeconds(300);
  /** A hang guard for the clone and the API's quiet offline build (stretched by the load). */
  static final Duration COMMAND_LIMIT = Duration.ofSeconds(300);
  static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  static Path work;
  static Path clone;
  static String firstServeStderr;

  @BeforeAll
  static void cloneAndServeOnce() throws Exception {
    work = Files.createTempDirectory("fresh-clone");
    clone = work.resolve("forkserve");
    Processes.run(
        COMMAND_LIMIT, null, List.of("git", "clone", "--quiet", ROOT.toString(), clone.toString()));
    ServerProcess serve = serve("--port", "0");
    try {
      serve.awaitLine("forkserve: ready in ", QUIET_LIMIT);
    } finally {
      stop(serve);
    }
    firstServeStderr = String.join("\n", serve.stderr) + "\n";
  }

  @AfterAll
  static void deleteWork() throws IOException {
    if (work != null) {
      MultiprocDirectory.deleteTree(work);
    }
  }

  @Test
  void firstServeShowsTheBuildModuleByModuleWithoutColourCodes() {
    for (String module : List.of("metrics-store", "worker", "runtime", "examples")) {
      assertTrue(
          Pattern.compile("(?m)^forkserve: building " + module + " \\(\\d+ of \\d+\\)$")
              .matcher(firstServeStderr)
              .find(),
          "no progress line for " + module + " in:\n" + firstServeStderr);
    }
    assertFalse(firstServeStderr.contains("\u001b"), "colour codes in:\n" + firstServeStderr);
    assertTrue(firstServeStderr.contains("forkserve: build done\n"), firstServeStderr);
  }

  /** The first start builds the class-data archives of the clone's jars (bin/lib/launch.sh). */
  @Test
  void firstServeBuildsTheClassDataArchives() throws IOException {
    assertTrue(
        firstServeStderr.contains("forkserve: class-data archive built\n"), firstServeStderr);
    Path cds = clone.resolve("runtime/target/cds");
    try (Stream<Path> files = Files.list(cds)) {
      List<String> names =
          files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsa")).sorted()
              .toList();
      assertTrue(
          names.size() == 2
              && names.get(0).matches("forkserve-\\p{XDigit}{16}-worker\\.jsa")
              && names.get(1).equals(names.get(0).replace("-worker", "")),
          names::toString);
    }
  }

  @Test
  void anApiBuiltOutsideTheRepositoryServesFromItsJar() throws Exception {
    Path project = work.resolve("hello-api");
    Path source = project.resolve("src/main/java/com/example/HelloApi.java");
    Files.createDirectories(source.getParent());
    Files.writeString(project.resolve("pom.xml"), POM);
    Files.writeString(source, HELLO_API);
    Processes.run(
        COMMAND_LIMIT, project, List.of("mvn", "-o", "-B", "-ntp", "-q", "-DskipTests", "package"));
    Path jar = project.resolve("target/hello-api-1.0.jar");
    assertTrue(Files.isRegularFile(jar), "no " + jar);

    ServerProcess serve =
        serve("--api", "com.example.HelloApi", "--jar", jar.toString(), "--port", "0");
    try {
      int port = serve.awaitLine("forkserve: ready in ", QUIET_LIMIT).port();
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predict"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"forkserve\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      assertEquals("{\"greeting\":\"hello forkserve\"}", response.body());
    } finally {
      stop(serve);
    }
  }

  /** The clone's bin/serve in a process group of its own. */
  static ServerProcess serve(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("setsid", "bin/serve"));
    command.addAll(List.of(args));
    return ServerProcess.launch(command)
        .directory(clone)
        // a user's first start: the class-data archive on, in the clone
        .unset("FORKSERVE_CDS", "FORKSERVE_CDS_DIR")
        .start();
  }

  /** Kills the server's process group (bin/serve, the build it ran, the server and workers). */
  static void stop(ServerProcess serve) throws Exception {
    DocsIT.killGroup(serve.process.pid());
    serve.awaitExit(Duration.ofSeconds(30)); // its last lines
  }

  static final String POM =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <project xmlns="http://maven.apache.org/POM/4.0.0">
        <modelVersion>4.0.0</modelVersion>
        <groupId>com.example</groupId>
        <artifactId>hello-api</artifactId>
        <version>1.0</version>
        <properties>
          <maven.compiler.release>17</maven.compiler.release>
          <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
        </properties>
        <dependencies>
          <dependency>
            <groupId>io.forkserve</groupId>
            <artifactId>forkserve-worker</artifactId>
            <version>0.1.0-SNAPSHOT</version>
            <scope>provided</scope>
          </dependency>
        </dependencies>
        <build>
          <plugins>
            <!-- The versions forkserve's own build uses: in the local repository, so offline. -->
            <plugin>
              <artifactId>maven-resources-plugin</artifactId><version>3.3.1</version>
            </plugin>
            <plugin>
              <artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version>
            </plugin>
            <plugin>
              <artifactId>maven-surefire-plugin</artifactId><version>3.5.4</version>
            </plugin>
            <plugin>
              <artifactId>maven-jar-plugin</artifactId><version>3.4.2</version>
            </plugin>
          </plugins>
        </build>
      </project>
      """;

  static final String HELLO_API =
      """
      package com.example;

      import com.fasterxml.jackson.databind.JsonNode;
      import io.forkserve.worker.ServingApi;
      import java.util.Map;

      public final class HelloApi extends ServingApi<JsonNode, String> {
        @Override
        public JsonNode decodeRequest(JsonNode request) {
          return request.get("name");
        }

        @Override
        public String predict(JsonNode name) {
          return "hello " + name.asText();
        }

        @Override
        public Object encodeResponse(String greeting) {
          return Map.of("greeting", greeting);
        }
      }
      """;
}
