package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile or careless client or user metric can do to the metrics, seen by promtool and a
 * real Prometheus: label values that try to break the exposition, a label explosion, and the
 * permissions of what forkserve creates.
 */
class SecurityIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> HOSTILE =
      List.of(
          "quote\"inside",
          "back\\slash",
          "trailing\\",
          "new\nline",
          "# EOF",
          "x\n# EOF\n",
          "} 1\nfake_metric 1",
          "crlf\r\nend",
          "tab\there",
          "ünïcødé €",
          "");

  @TempDir static Path tmp;
  static ServerProcess server;
  static PrometheusServer prometheus;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start("--api", HostileLabelsApi.class.getName(), "--workers", "1")
            .awaitListening();
    // Prometheus starts while the worker does: it needs only the front's port
    prometheus = PrometheusServer.start(tmp, "127.0.0.1:" + server.port());
    server.awaitHealthy();
  }

  @AfterAll
  static void stop() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (server != null) {
      server.close();
    }
  }

  static HttpResponse<String> predict(String field, Object value) throws IOException {
    var body = JsonNodeFactory.instance.objectNode();
    body.set(field, JSON.valueToTree(value));
    return server.post("/predict", body.toString());
  }

  @Test
  void hostileLabelValuesCannotBreakTheExpositionAndRoundTripThroughPrometheus() throws Exception {
    for (String value : HOSTILE) {
      assertEquals(200, predict("label", value).statusCode(), value);
    }
    Instant sent = Instant.now();

    String text = server.get("/metrics").body();
    Processes.Result promtool =
        Processes.exec(
            text.getBytes(StandardCharsets.UTF_8),
            Tools.require("promtool").toString(),
            "check",
            "metrics");
    String lint = promtool.stdout() + promtool.stderr();
    assertEquals(0, promtool.exit(), lint);
    assertEquals("", lint.trim());
    assertTrue(text.lines().noneMatch(l -> l.startsWith("fake_metric")), "injected a sample");

    String openMetrics =
        server
            .send(
                HttpRequest.newBuilder(server.uri("/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0")
                    .build())
            .body();
    List<String> lines = openMetrics.lines().toList();
    assertEquals(1, lines.stream().filter("# EOF"::equals).count(), "one # EOF line");
    assertEquals("# EOF", lines.get(lines.size() - 1));
    List<String> sorted = HOSTILE.stream().sorted().toList();
    assertEquals(sorted, pythonParses("text", text), "Python's text parser");
    assertEquals(sorted, pythonParses("openmetrics", openMetrics), "Python's OpenMetrics parser");

    Instant scrape = prometheus.awaitScrapeAfter(sent, Duration.ofSeconds(30));
    assertEquals(1.0, prometheus.scalar("up{job=\"forkserve\"}", scrape));
    Map<String, Double> seen = new HashMap<>();
    prometheus
        .vector("hostile_labels_total{job=\"forkserve\"}", scrape)
        .forEach((labels, v) -> seen.put(labels.getOrDefault("value", ""), v));
    Map<String, Double> expected = new HashMap<>();
    HOSTILE.forEach(v -> expected.put(v, 1.0));
    assertEquals(expected, seen);
    assertEquals(0, prometheus.vector("fake_metric", scrape).size(), "injected a series");
  }

  /**
   * The {@code value} labels of {@code hostile_labels_total} as Debian's prometheus_client parses
   * them.
   */
  static List<String> pythonParses(String format, String page) throws Exception {
    String script =
        String.join(
            "\n",
            "import sys, json",
            "from prometheus_client.openmetrics.parser import text_string_to_metric_families as om",
            "from prometheus_client.parser import text_string_to_metric_families as text",
            "parse = om if sys.argv[1] == 'openmetrics' else text",
            "print(json.dumps([s.labels.get('value', '') for f in parse(sys.stdin.read())",
            "    if f.name == 'hostile_labels' for s in f.samples",
            "    if s.name == 'hostile_labels_total']))");
    String python = Tools.require("python3-prometheus-client").toString();
    String out =
        Processes.run(page.getBytes(StandardCharsets.UTF_8), python, "-c", script, format);
    List<String> values = new java.util.ArrayList<>();
    JSON.readTree(out).forEach(v -> values.add(v.asText()));
    return values.stream().sorted().toList();
  }

  @Test
  void aLabelExplosionStopsAtTheLimitWithAClearErrorAndASelfMetric() throws Exception {
    int limit = MetricsRegistry.DEFAULT_MAX_SERIES_PER_METRIC;
    HttpResponse<String> filled = predict("explode", limit);
    assertEquals(200, filled.statusCode(), filled.body());
    assertEquals(limit, JSON.readTree(filled.body()).get("series").asInt());

    HttpResponse<String> refused = predict("explode", 1);
    assertEquals(500, refused.statusCode());
    String error = JSON.readTree(refused.body()).get("error").asText();
    assertTrue(
        error.contains("IllegalStateException: metric exploding already has 10000 label sets"),
        error);
    Path counters = workerCounterFile();
    int used = usedBytes(counters);
    for (int i = 0; i < 3; i++) {
      assertEquals(500, predict("explode", 100).statusCode());
    }
    assertEquals(used, usedBytes(counters), "the metric file grew after the limit");

    Instant scrape = prometheus.awaitScrapeAfter(Instant.now(), Duration.ofSeconds(30));
    assertEquals(1.0, prometheus.scalar("up{job=\"forkserve\"}", scrape));
    assertEquals(
        4.0,
        prometheus.scalar(
            "forkserve_metrics_series_rejected_total{job=\"forkserve\",metric=\"exploding\"}",
            scrape));
    assertEquals(limit, prometheus.scalar("count(exploding_total{job=\"forkserve\"})", scrape));
  }

  private static Path workerCounterFile() throws IOException {
    JsonNode info = JSON.readTree(server.get("/info").body());
    long pid = info.get("workers").get(0).get("pid").asLong();
    return Path.of(info.get("metrics_dir").asText()).resolve("counter_" + pid + ".db");
  }

  /** The {@code used} field of a metric file: the bytes its entries take. */
  private static int usedBytes(Path file) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      return Integer.reverseBytes(raf.readInt());
    }
  }

  @Test
  void theAdminEndpointRefusesRequestsWithoutItsToken() throws Exception {
    assertEquals(404, server.post("/admin/workers?count=2", "").statusCode(), "off by default");
    String token = "admin-s3cret-" + System.nanoTime();
    try (ServerProcess own =
        ServerProcess.start("--admin-token", token, "--workers", "1").awaitHealthy()) {
      for (String[] headers :
          List.of(
              new String[0],
              new String[] {"Authorization", "Bearer wrong"},
              new String[] {"Authorization", token},
              new String[] {"Authorization", "Bearer " + token + "x"},
              new String[] {"X-API-Key", token})) {
        HttpResponse<String> refused = own.post("/admin/workers?count=2", "", headers);
        assertEquals(401, refused.statusCode(), List.of(headers).toString());
        assertTrue(JSON.readTree(refused.body()).has("error"), refused.body());
      }
      assertTrue(!own.get("/info").body().contains(token), "/info shows the token");
      assertEquals(1, JSON.readTree(own.get("/health").body()).get("workers").asInt());
      HttpResponse<String> scaled =
          own.post("/admin/workers?count=2", "", "Authorization", "Bearer " + token);
      assertEquals(202, scaled.statusCode(), scaled.body());
      ServerProcess.await(
          () -> own.statusOf("/health") == 200 && workers(own) == 2,
          Duration.ofSeconds(30),
          "2 workers after the authorized scale request");
    }
  }

  private static int workers(ServerProcess own) {
    try {
      return JSON.readTree(own.get("/health").body()).get("ready_workers").asInt();
    } catch (IOException e) {
      return -1;
    }
  }

  @Test
  void thePrivateMetricsDirectoryIs0700AndItsFiles0600() throws Exception {
    Path dir = Path.of(JSON.readTree(server.get("/info").body()).get("metrics_dir").asText());
    assertModes(dir);
  }

  @Test
  void aMissingMetricsDirectoryIsCreated0700(@TempDir Path parent) throws Exception {
    Path dir = parent.resolve("a/b/metrics");
    try (ServerProcess own =
        ServerProcess.start(Map.of("METRICS_MULTIPROC_DIR", dir.toString())).awaitHealthy()) {
      assertEquals(200, own.post("/predict", "{\"input\": 1}").statusCode());
      assertModes(dir);
    }
  }

  private static void assertModes(Path dir) throws IOException {
    assertEquals("rwx------", mode(dir), dir.toString());
    int files = 0;
    try (Stream<Path> list = Files.list(dir)) {
      for (Path file : list.toList()) {
        if (Files.isRegularFile(file)) {
          assertEquals("rw-------", mode(file), file.toString());
          files++;
        }
      }
    }
    assertTrue(files >= 3, "files checked: " + files); // lock, front's and worker's metrics
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
