package io.forkserve.runtime.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.runtime.PrometheusServer;
import io.forkserve.runtime.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/grafana/forkserve.json against a real Prometheus that scraped a real 2-worker forkserve
 * under a small bounded load: every template variable finds values, and every PromQL expression of
 * every panel (variables filled in) runs without error and returns data. So do the recording rules
 * of deploy/prometheus. A renamed metric fails here instead of blanking a dashboard.
 */
class DashboardIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)");
  static final int CLIENTS = 2;
  static final int REQUESTS_PER_CLIENT = 60;

  @TempDir static Path tmp;
  static ServerProcess server;
  static PrometheusServer prometheus;
  static Instant at;
  static String window;
  static final Map<String, Integer> answers = new ConcurrentHashMap<>();

  @BeforeAll
  static void scrapeALoadedServer() throws Exception {
    Instant begin = Instant.now();
    server =
        ServerProcess.start(
            Map.of(), "--api", "io.forkserve.runtime.ScriptedApi", "--workers", "2");
    awaitHealthy(server);
    // later waits scale with how long this machine took to start a server
    Duration limit =
        Duration.ofSeconds(60).plus(Duration.between(begin, Instant.now()).multipliedBy(3));
    prometheus = PrometheusServer.start(tmp, "127.0.0.1:" + server.port());
    prometheus.awaitScrapeAfter(Instant.now(), limit);
    Instant loadStart = Instant.now();
    // two rounds with a scrape between: the first creates every series, the second makes them
    // grow inside the rate window (one quick round can fall between two scrapes, and a series
    // first seen at its final value has a rate of 0, so histogram_quantile gives no number)
    load();
    prometheus.awaitScrapeAfter(Instant.now(), limit);
    load();
    Instant loadEnd = Instant.now();
    at = prometheus.awaitScrapeAfter(loadEnd, limit);
    // the rate window covers the whole load however long this machine took for it
    long seconds = Math.max(30, Duration.between(loadStart, at).toSeconds() + 15);
    window = seconds + "s";
  }

  /**
   * Waits for the front to listen and {@code /health} to answer 200. A hang guard only: on a
   * machine loaded far past its cores a cold start takes far longer than ServerProcess's own
   * start-up wait.
   */
  static void awaitHealthy(ServerProcess process) {
    Duration guard = Duration.ofMinutes(5);
    ServerProcess.await(() -> process.port() > 0, guard, "the front to listen");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest health =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + process.port() + "/health"))
            .timeout(Duration.ofSeconds(10))
            .build();
    ServerProcess.await(
        () -> {
          try {
            return http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
          } catch (IOException e) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        },
        guard,
        "/health 200");
  }

  /** CLIENTS threads, each REQUESTS_PER_CLIENT requests one at a time: 200s, 500s and 400s. */
  static void load() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        clients.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                    String body =
                        i % 10 == 3
                            ? "{\"input\": 0, \"fail\": \"boom\"}"
                            : i % 10 == 7 ? "not json" : "{\"input\": " + i + "}";
                    HttpResponse<String> response = server.post("/predict", body);
                    answers.merge(Integer.toString(response.statusCode()), 1, Integer::sum);
                  }
                  return null;
                }));
      }
      for (Future<?> client : clients) {
        client.get(); // each request has its own timeout in ServerProcess.post
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS), "load threads did not stop");
    }
    assertEquals(Set.of("200", "400", "500"), answers.keySet(), "answers " + answers);
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

  static JsonNode dashboard() throws IOException {
    return JSON.readTree(DeployTree.deploy("grafana/forkserve.json").toFile());
  }

  /** Panels, including those nested in collapsed rows. */
  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> all = new ArrayList<>();
    for (JsonNode panel : dashboard.get("panels")) {
      all.add(panel);
      panel.path("panels").forEach(all::add);
    }
    return all;
  }

  /** True when {@code promql} at the last scrape returns at least one finite value. */
  static boolean hasData(String promql) throws IOException {
    for (JsonNode sample : prometheus.query(promql, at)) { // fails the test on a query error
      double value = Double.parseDouble(sample.get("value").get(1).asText());
      if (Double.isFinite(value)) {
        return true;
      }
    }
    return false;
  }

  /** Fills Grafana's built-in interval variables and the given template variables. */
  static String fill(String expr, Map<String, String> variables) {
    String filled =
        expr.replace("$__rate_interval", window)
            .replace("$__interval", window)
            .replace("$__range", window);
    for (Map.Entry<String, String> v : variables.entrySet()) {
      filled =
          filled.replaceAll(
              "\\$\\{" + v.getKey() + "}|\\$" + v.getKey() + "\\b",
              Matcher.quoteReplacement(v.getValue()));
    }
    assertFalse(filled.contains("$"), "unfilled variable in " + filled);
    return filled;
  }

  /** Runs each query variable in order; its values (as a regex alternation) fill later ones. */
  static Map<String, String> variables(JsonNode dashboard) throws IOException {
    Map<String, String> filled = new LinkedHashMap<>();
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (!variable.path("type").asText().equals("query")) {
        continue;
      }
      String name = variable.get("name").asText();
      JsonNode query = variable.get("query");
      String text = query.isTextual() ? query.asText() : query.get("query").asText();
      Matcher m = LABEL_VALUES.matcher(text);
      assertTrue(m.matches(), name + ": expected label_values(SELECTOR, LABEL), got " + text);
      Set<String> values = new LinkedHashSet<>();
      for (JsonNode sample : prometheus.query(fill(m.group(1), filled), at)) {
        values.add(sample.get("metric").path(m.group(2)).asText());
      }
      values.remove("");
      assertFalse(values.isEmpty(), "variable " + name + " finds no values: " + text);
      filled.put(name, String.join("|", values));
    }
    return filled;
  }

  @Test
  void dashboardIsReadyForProvisioning() throws IOException {
    JsonNode dashboard = dashboard();
    assertTrue(dashboard.get("id").isNull(), "provisioned dashboards carry no id");
    assertFalse(dashboard.path("uid").asText().isEmpty(), "a stable uid");
    Set<String> names = new LinkedHashSet<>();
    dashboard.path("templating").path("list").forEach(v -> names.add(v.get("name").asText()));
    assertTrue(names.containsAll(List.of("datasource", "job", "instance")), "variables " + names);
    Set<Integer> ids = new LinkedHashSet<>();
    for (JsonNode panel : panels(dashboard)) {
      assertTrue(ids.add(panel.get("id").asInt()), "duplicate panel id " + panel.get("id"));
      if (!panel.get("type").asText().equals("row")) {
        assertEquals("${datasource}", panel.path("datasource").path("uid").asText(), panel + "");
        assertFalse(panel.path("targets").isEmpty(), panel.get("title") + " has no query");
      }
    }
  }

  @Test
  void everyPanelQueryRunsAndReturnsData() throws IOException {
    JsonNode dashboard = dashboard();
    Map<String, String> variables = variables(dashboard);
    List<String> empty = new ArrayList<>();
    int queries = 0;
    for (JsonNode panel : panels(dashboard)) {
      for (JsonNode target : panel.path("targets")) {
        String expr = fill(target.get("expr").asText(), variables);
        queries++;
        if (!hasData(expr)) {
          empty.add(panel.get("title").asText() + ": " + expr);
        }
      }
    }
    assertTrue(queries >= 15, "only " + queries + " queries");
    assertEquals(List.of(), empty, "panels with no data (answers " + answers + ")");
  }

  @Test
  void everyRecordingRuleReturnsDataAndEveryAlertExpressionRuns() throws IOException {
    List<String> empty = new ArrayList<>();
    int rules = 0;
    for (JsonNode group : RulesIT.YAML.readTree(RulesIT.RULES.toFile()).get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        String expr = rule.get("expr").asText();
        rules++;
        if (rule.has("record")) {
          if (!hasData(expr.replace("[5m]", "[" + window + "]"))) {
            empty.add(rule.get("record").asText() + ": " + expr);
          }
        } else {
          prometheus.query(expr, at); // alerts should be silent here; the query must still run
        }
      }
    }
    assertTrue(rules >= 15, "only " + rules + " rules");
    assertEquals(List.of(), empty, "recording rules with no data");
  }

  @Test
  void aRenamedMetricIsCaughtAsNoData() throws IOException {
    assertTrue(hasData("forkserve_workers_up"));
    assertFalse(hasData("forkserve_workers_ready"));
  }
}
