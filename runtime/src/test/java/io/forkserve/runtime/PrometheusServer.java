package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code /usr/bin/prometheus}) on loopback, scraping one
 * forkserve {@code /metrics} every interval (1 s unless given; the timeout equals it) into its
 * own TSDB in a temporary directory; queried
 * through its HTTP API. The shared fixture of the end-to-end tests.
 */
public final class PrometheusServer implements AutoCloseable {
  static final String JOB = "forkserve";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final int port;
  private final Path log;
  private final Duration interval;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PrometheusServer(Process process, int port, Path log, Duration interval) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.interval = interval;
  }

  /** Starts Prometheus scraping {@code target} ({@code host:port}) every second. */
  public static PrometheusServer start(Path workDir, String target) throws IOException {
    return start(workDir, target, Duration.ofSeconds(1));
  }

  /**
   * Starts Prometheus scraping {@code target} ({@code host:port}) every {@code interval}, whole
   * seconds, with the same scrape timeout; waits for /-/ready.
   */
  public static PrometheusServer start(Path workDir, String target, Duration interval)
      throws IOException {
    Duration whole = Duration.ofSeconds(Math.max(1, interval.toSeconds()));
    String every = whole.toSeconds() + "s";
    Path config = workDir.resolve("prometheus.yml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "global:",
            "  scrape_interval: " + every,
            "  scrape_timeout: " + every,
            "  evaluation_interval: " + every,
            "scrape_configs:",
            "  - job_name: " + JOB,
            "    static_configs:",
            "      - targets: ['" + target + "']",
            ""));
    int port = freePort();
    return startUnder(workDir, List.of(), config, "127.0.0.1:" + port, port, whole);
  }

  /**
   * Starts Prometheus with {@code config} (whose intervals are {@code interval}) under {@code
   * prefix} (e.g. {@code ip netns exec NAME}), listening on {@code listen} there and queried on
   * 127.0.0.1:{@code queryPort} (the same port, or a proxy into that namespace); waits for
   * /-/ready.
   */
  static PrometheusServer startUnder(
      Path workDir,
      List<String> prefix,
      Path config,
      String listen,
      int queryPort,
      Duration interval)
      throws IOException {
    Path log = workDir.resolve("prometheus.log");
    List<String> command = new java.util.ArrayList<>(prefix);
    command.addAll(
        List.of(
            Tools.require("prometheus").toString(),
            "--config.file=" + config,
            "--storage.tsdb.path=" + Files.createDirectories(workDir.resolve("tsdb")),
            "--web.listen-address=" + listen,
            "--enable-feature=exemplar-storage",
            "--log.level=warn"));
    Process process = Processes.start(log, command);
    PrometheusServer server = new PrometheusServer(process, queryPort, log, interval);
    ServerProcess.await(
        () -> !process.isAlive() || server.status("/-/ready") == 200,
        Duration.ofSeconds(30),
        "Prometheus /-/ready");
    if (!process.isAlive()) {
      fail("prometheus exited: " + server.log());
    }
    return server;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  long pid() {
    return process.pid();
  }

  private int status(String path) {
    try {
      return get(path).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  private HttpResponse<String> get(String pathAndQuery) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
            .timeout(Duration.ofSeconds(10))
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** {@code /api/v1/query} at {@code time}: the {@code data.result} array of a vector. */
  public JsonNode query(String promql, Instant time) throws IOException {
    String path =
        "/api/v1/query?query="
            + URLEncoder.encode(promql, StandardCharsets.UTF_8)
            + "&time="
            + time.toEpochMilli() / 1000.0;
    HttpResponse<String> response = get(path);
    JsonNode body = JSON.readTree(response.body());
    assertEquals(200, response.statusCode(), promql + ": " + response.body());
    assertEquals("success", body.get("status").asText(), response.body());
    return body.get("data").get("result");
  }

  /**
   * {@code /api/v1/query_exemplars} for {@code promql} between {@code start} and {@code end}: the
   * {@code data} array (one element per series, each with its {@code exemplars}). The server
   * runs with {@code --enable-feature=exemplar-storage}.
   */
  public JsonNode queryExemplars(String promql, Instant start, Instant end) throws IOException {
    String path =
        "/api/v1/query_exemplars?query="
            + URLEncoder.encode(promql, StandardCharsets.UTF_8)
            + "&start="
            + start.toEpochMilli() / 1000.0
            + "&end="
            + end.toEpochMilli() / 1000.0;
    HttpResponse<String> response = get(path);
    JsonNode body = JSON.readTree(response.body());
    assertEquals(200, response.statusCode(), promql + ": " + response.body());
    assertEquals("success", body.get("status").asText(), response.body());
    return body.get("data");
  }

  /** The vector {@code promql} at {@code time} as labels (all of them) to value. */
  Map<Map<String, String>, Double> vector(String promql, Instant time) throws IOException {
    Map<Map<String, String>, Double> values = new HashMap<>();
    for (JsonNode sample : query(promql, time)) {
      Map<String, String> labels = new HashMap<>();
      sample.get("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      values.put(labels, Double.parseDouble(sample.get("value").get(1).asText()));
    }
    return values;
  }

  /** The single value of {@code promql} at {@code time}; fails if it is not exactly one sample. */
  double scalar(String promql, Instant time) throws IOException {
    JsonNode result = query(promql, time);
    assertEquals(1, result.size(), () -> promql + " gave " + result);
    return Double.parseDouble(result.get(0).get("value").get(1).asText());
  }

  /** Metric names Prometheus holds for the forkserve job. */
  List<String> metricNames() throws IOException {
    String match = URLEncoder.encode("{job=\"" + JOB + "\"}", StandardCharsets.UTF_8);
    JsonNode body = JSON.readTree(get("/api/v1/label/__name__/values?match[]=" + match).body());
    List<String> names = new java.util.ArrayList<>();
    body.get("data").forEach(n -> names.add(n.asText()));
    return names;
  }

  /** The active targets of {@code /api/v1/targets}. */
  List<JsonNode> activeTargets() throws IOException {
    JsonNode body = JSON.readTree(get("/api/v1/targets").body());
    List<JsonNode> targets = new java.util.ArrayList<>();
    body.get("data").get("activeTargets").forEach(targets::add);
    return targets;
  }

  /** Time of the newest scrape of the forkserve target in the TSDB, or null before the first. */
  Instant lastScrape() throws IOException {
    JsonNode result = query("timestamp(up{job=\"" + JOB + "\"})", Instant.now());
    if (result.isEmpty()) {
      return null;
    }
    double seconds = Double.parseDouble(result.get(0).get("value").get(1).asText());
    return Instant.ofEpochMilli(Math.round(seconds * 1000));
  }

  /** Waits until Prometheus has stored a scrape that started after {@code after}. */
  /** The scrape interval (and timeout). */
  Duration interval() {
    return interval;
  }

  /**
   * Waits for a scrape after {@code after}: within {@code limit} or ten intervals, the larger,
   * stretched by the machine's measured slowdown.
   */
  public Instant awaitScrapeAfter(Instant after, Duration limit) {
    Duration tenIntervals = interval.multipliedBy(10);
    Duration wait = limit.compareTo(tenIntervals) > 0 ? limit : tenIntervals;
    Instant[] seen = new Instant[1];
    ServerProcess.await(
        () -> {
          try {
            seen[0] = lastScrape();
            return seen[0] != null && seen[0].isAfter(after);
          } catch (IOException e) {
            return false;
          }
        },
        wait,
        "a Prometheus scrape after " + after);
    return seen[0];
  }

  @Override
  public void close() {
    stop();
  }

  /** Stops Prometheus (SIGTERM, then SIGKILL) and waits for it to exit. */
  void stop() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
