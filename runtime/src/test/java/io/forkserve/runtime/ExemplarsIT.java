package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * W3C {@code traceparent} to exemplars, end to end: a real 2-worker server, requests with trace
 * headers, and a real Prometheus with exemplar storage that returns our trace ids from {@code
 * /api/v1/query_exemplars} for the front's latency histogram and the workers' stage histogram.
 */
class ExemplarsIT {
  private static final String OM = "application/openmetrics-text; version=1.0.0";

  @TempDir Path tmp;

  @Test
  void prometheusStoresTheTraceIdsOfOurRequests() throws Exception {
    // Prometheus starts while the workers do: it needs only the front's port
    try (ServerProcess server =
            ServerProcess.start("--api", ScriptedApi.class.getName(), "--workers", "2")
                .awaitListening();
        PrometheusServer prometheus =
            PrometheusServer.start(tmp, "127.0.0.1:" + server.port())) {
      server.awaitHealthy();
      Instant start = Instant.now().minusSeconds(5);
      Set<String> traces = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        String trace = String.format(Locale.ROOT, "%032x", 0xabc000L + i);
        String span = String.format(Locale.ROOT, "%016x", 0x5000L + i);
        traces.add(trace);
        HttpResponse<String> r = server.post("/predict", "{\"input\": " + i + "}",
            "traceparent", "00-" + trace + "-" + span + "-01");
        assertEquals(200, r.statusCode(), r.body());
      }
      String invalid = "00-" + "ABCDEF".repeat(5) + "ab-00f067aa0ba902b7-01"; // upper case
      HttpResponse<String> r = server.post("/predict", "{\"input\": 1}", "traceparent", invalid);
      assertEquals(200, r.statusCode(), r.body());

      String om = scrape(server, OM);
      assertTrue(om.contains("# {span_id=\""), om);
      assertFalse(om.toLowerCase(Locale.ROOT).contains("abcdefabcdef"), "invalid header echoed");
      String text = scrape(server, "text/plain; version=0.0.4");
      assertFalse(text.contains("trace_id"));

      // Item 5 on the same server: the API's info and each worker slot's state.
      assertTrue(om.contains("# TYPE forkserve_api info\nforkserve_api_info{api=\"default\",name=\""
          + ScriptedApi.class.getName() + "\",version=\"unknown\"} 1.0\n"), om);
      // the supervisor's control loop writes the slots' states from its first pass on, which
      // may come after the first scrape
      ServerProcess.await(() -> {
        try {
          String now = scrape(server, OM);
          String ready =
              "forkserve_worker_state{api=\"default\",forkserve_worker_state=\"ready\",worker=";
          return now.contains("# TYPE forkserve_worker_state stateset\n")
              && now.contains(ready + "\"0\"} 1.0") && now.contains(ready + "\"1\"} 1.0");
        } catch (IOException e) {
          return false;
        }
      }, Duration.ofSeconds(30), "both workers ready in forkserve_worker_state");
      assertTrue(text.contains("# TYPE forkserve_api_info gauge\n"), text);
      Processes.Result lint = Processes.exec(text.getBytes(StandardCharsets.UTF_8),
          Tools.require("promtool").toString(), "check", "metrics");
      assertEquals(0, lint.exit(), lint.stdout() + lint.stderr());
      assertFalse((lint.stdout() + lint.stderr()).contains("forkserve_api")
          || (lint.stdout() + lint.stderr()).contains("forkserve_worker_state"),
          lint.stdout() + lint.stderr());

      for (String metric : new String[] {
          "forkserve_http_request_duration_seconds_bucket",
          "forkserve_stage_duration_seconds_bucket{stage=\"predict\"}"}) {
        Set<String> seen = new HashSet<>();
        ServerProcess.await(() -> {
          seen.addAll(traceIds(prometheus, metric, start));
          return seen.stream().anyMatch(traces::contains);
        }, Duration.ofSeconds(60), "exemplars of " + metric + " in Prometheus");
        assertTrue(traces.containsAll(seen), "unknown trace ids " + seen);
      }
    }
  }

  private static String scrape(ServerProcess server, String accept) throws IOException {
    HttpResponse<String> r = server.send(
        HttpRequest.newBuilder(server.uri("/metrics")).header("Accept", accept).GET().build());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static Set<String> traceIds(PrometheusServer prometheus, String metric, Instant start) {
    Set<String> ids = new HashSet<>();
    try {
      for (JsonNode series : prometheus.queryExemplars(metric, start, Instant.now())) {
        for (JsonNode exemplar : series.get("exemplars")) {
          JsonNode id = exemplar.get("labels").get("trace_id");
          if (id != null) {
            ids.add(id.asText());
          }
        }
      }
    } catch (IOException e) {
      return ids;
    }
    return ids;
  }
}
