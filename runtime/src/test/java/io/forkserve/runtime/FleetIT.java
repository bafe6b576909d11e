package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.forkserve.testsupport.Progress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three forkserve instances, each in its own network namespace, behind HAProxy (checking
 * /health/ready) and scraped by one Prometheus through file-based discovery, under a bounded
 * load: SIGTERM drains one without a failed request, kill -9 of another loses only what it held,
 * and the fleet's recording rules stay right through both. See {@link FleetNetwork} for the
 * network: no traffic leaves the test's namespaces and loopback.
 */
class FleetIT {
  private static final int MEMBERS = 3;
  private static final int CLIENTS = 3;
  private static final Duration DRAIN = Duration.ofSeconds(4);
  private static final String PREDICT = "{\"input\":1,\"sleep_ms\":20}";
  private static final String RATE = "job_route:forkserve_http_requests:rate1m";
  private static final String P99 = "job_route:forkserve_http_request_duration_seconds:p99_1m";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir Path work;

  /** One answer (or failure) the load got from HAProxy; times from System.nanoTime. */
  record Outcome(long start, long end, Instant endedAt, int status, String server, String error) {
    boolean ok() {
      return status == 200;
    }
  }

  @Test
  @Timeout(600) // a hang guard; every wait inside follows measured progress
  void drainAndKillInAFleetBehindHaproxyWithOnePrometheus() throws Exception {
    List<ServerProcess> members = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      members.add(null);
    }
    List<Thread> clients = new ArrayList<>();
    List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    boolean[] loading = {true};
    try (FleetNetwork net = FleetNetwork.create(MEMBERS)) {
      // the members boot while HAProxy and Prometheus start: neither needs them up to start
      long startAll = System.nanoTime();
      try {
        for (int i = 0; i < MEMBERS; i++) {
          members.set(i, startMember(net, i));
        }
        try (FleetHaproxy haproxy =
                FleetHaproxy.start(work, deploy("haproxy/haproxy.cfg"), net.hub, addresses());
            PrometheusServer prometheus = startPrometheus(net, haproxy)) {
          runFleet(members, clients, outcomes, loading, startAll, net, haproxy, prometheus);
        }
      } finally {
        loading[0] = false;
        for (ServerProcess m : members) {
          if (m != null) {
            m.process.descendants().forEach(ProcessHandle::destroyForcibly);
            m.process.destroyForcibly();
            m.process.waitFor();
          }
        }
      }
    }
  }

  /** The scenario once the members, HAProxy and Prometheus are started: drain, kill, restart. */
  private void runFleet(
      List<ServerProcess> members,
      List<Thread> clients,
      List<Outcome> outcomes,
      boolean[] loading,
      long startAll,
      FleetNetwork net,
      FleetHaproxy haproxy,
      PrometheusServer prometheus)
      throws Exception {
    try {
      for (ServerProcess m : members) {
        awaitReady(m, Progress.stretched(Duration.ofMinutes(3)));
      }
      Duration startup = Duration.ofNanos(System.nanoTime() - startAll);
      Duration settle = Progress.scaled(startup, 1, Duration.ofSeconds(20));
      ServerProcess.await(
          () -> allRouting(haproxy, 0, 1, 2), settle, "HAProxy routing to all three");

      long loadStart = System.nanoTime();
      Instant loadStartedAt = Instant.now();
      for (int c = 0; c < CLIENTS; c++) {
        Thread t = new Thread(() -> load(haproxy.port, outcomes, loading), "fleet-client-" + c);
        t.setDaemon(true);
        t.start();
        clients.add(t);
      }
      awaitServed(outcomes, FleetHaproxy.server(0), 30, loadStart, loading);
      awaitServed(outcomes, FleetHaproxy.server(1), 30, loadStart, loading);
      awaitServed(outcomes, FleetHaproxy.server(2), 30, loadStart, loading);

      // SIGTERM member 0: HAProxy stops routing to it before it closes; nothing fails
      ServerProcess drained = members.get(0);
      long term = System.nanoTime();
      System.out.println("FleetIT: SIGTERM to member 0 at " + Instant.now());
      drained.process.destroy();
      assertEquals(0, drained.awaitExit(DRAIN.plusSeconds(30)), "drained member's exit");
      long exited = System.nanoTime();
      Long stopped = haproxy.stoppedRouting(FleetHaproxy.server(0), term);
      assertNotNull(stopped, "HAProxy still routed to the drained member: " + haproxy.changes);
      assertTrue(stopped < exited, "HAProxy stopped routing only after the member exited");
      assertTrue(
          haproxy.logged("forkserve/m0 is DOWN, reason: Layer7 wrong status, code: 503"),
          "HAProxy took the drained member out for its /health/ready 503, not its closing");
      assertTrue(
          outcomes.stream()
              .filter(o -> o.server().equals(FleetHaproxy.server(0)))
              .allMatch(o -> o.start() < exited),
          "a request reached the drained member after it exited");
      awaitServed(outcomes, FleetHaproxy.server(2), 20, term, loading);
      assertNoFailures(outcomes, o -> true, "during the drain");
      checkRecordingRules(prometheus, outcomes, loadStartedAt, "after the drain");

      // kill -9 member 1, supervisor and workers: only what it held fails
      ServerProcess killed = members.get(1);
      List<ProcessHandle> tree = new ArrayList<>(killed.process.descendants().toList());
      tree.add(0, killed.process.toHandle());
      long kill = System.nanoTime();
      System.out.println("FleetIT: kill -9 of member 1 at " + Instant.now());
      tree.forEach(ProcessHandle::destroyForcibly);
      killed.awaitExit(Duration.ofSeconds(10));
      // SIGKILL is not instant: until the process is gone its listening socket still takes
      // connections, and requests HAProxy sends there die with it
      long gone = System.nanoTime();
      ServerProcess.await(
          () -> haproxy.stoppedRouting(FleetHaproxy.server(1), kill) != null,
          Duration.ofSeconds(10),
          "HAProxy to route around the killed member");
      long routedAround = haproxy.stoppedRouting(FleetHaproxy.server(1), kill);
      // fall 2 x inter 0.5 s, plus one check timeout (1 s): the config's check interval
      Duration allowed = Progress.stretched(Duration.ofSeconds(3));
      assertTrue(
          routedAround - kill <= allowed.toNanos(),
          "HAProxy routed around the killed member after "
              + (routedAround - kill) / 1e9
              + " s, more than "
              + allowed);
      awaitServed(outcomes, FleetHaproxy.server(2), 20, kill, loading);
      List<Outcome> lost = outcomes.stream().filter(o -> !o.ok()).toList();
      assertTrue(lost.size() <= CLIENTS, "more failures than requests in flight: " + lost);
      for (Outcome o : lost) {
        assertTrue(
            o.start() < gone && o.end() > kill,
            "a request it did not hold failed (killed at " + kill + ", gone " + gone + "): " + o);
      }
      String instance1 = FleetNetwork.address(1) + ":" + FleetNetwork.MEMBER_PORT;
      awaitValue(prometheus, "up{instance=\"" + instance1 + "\"}", 0, settle, "up 0");
      assertEquals(
          1.0,
          prometheus.scalar(
              "up{instance=\"" + FleetNetwork.address(2) + ":8000\"}", Instant.now()));
      assertTrue(
          prometheus.scalar("sum(" + RATE + "{route=\"/predict\"})", Instant.now()) > 0,
          "the fleet's request rate continues");
      checkRecordingRules(prometheus, outcomes, loadStartedAt, "after the kill");

      // member 1 comes back: HAProxy routes to it again, Prometheus sees up 1
      long restart = System.nanoTime();
      members.set(1, startMember(net, 1));
      awaitReady(members.get(1), Progress.scaled(startup, 5, Duration.ofMinutes(1)));
      awaitServed(outcomes, FleetHaproxy.server(1), 20, restart, loading);
      awaitValue(prometheus, "up{instance=\"" + instance1 + "\"}", 1, settle, "up 1 again");
      awaitScrapes(prometheus, instance1, 3, settle);
      loading[0] = false;
      for (Thread t : clients) {
        t.join(Progress.stretched(Duration.ofSeconds(30)).toMillis());
      }
      checkRecordingRules(prometheus, outcomes, loadStartedAt, "after the restart");
      checkResets(prometheus, instance1);
      assertTrue(lost.size() == outcomes.stream().filter(o -> !o.ok()).count(),
          "requests failed after the kill: " + outcomes.stream().filter(o -> !o.ok()).toList());
    } catch (AssertionError | Exception e) {
      Files.copy( // the whole log, one line per request, kept for the failure's reader
          work.resolve("haproxy.log"),
          Path.of("target", "FleetIT-haproxy.log"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      throw new AssertionError(
          e.getMessage() + "\nhaproxy: " + haproxy.log() + "\nprometheus: " + prometheus.log(),
          e);
    }
  }

  private static List<String> addresses() {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      addresses.add(FleetNetwork.address(i));
    }
    return addresses;
  }

  private ServerProcess startMember(FleetNetwork net, int i) throws Exception {
    Path metrics = Files.createDirectories(work.resolve("metrics-" + i));
    return ServerProcess.startUnder(
        FleetNetwork.inside(net.members.get(i)),
        FleetNetwork.address(i),
        Map.of("METRICS_MULTIPROC_DIR", metrics.toString()),
        "--api",
        ScriptedApi.class.getName(),
        "--host",
        FleetNetwork.address(i),
        "--port",
        String.valueOf(FleetNetwork.MEMBER_PORT),
        "--drain-delay",
        DRAIN.toSeconds() + "s");
  }

  private static void awaitReady(ServerProcess member, Duration limit) {
    member.awaitWhileAlive(
        () -> member.stdout.stream().anyMatch(l -> l.startsWith("forkserve: ready in")),
        limit,
        "a fleet member to be ready");
  }

  private PrometheusServer startPrometheus(FleetNetwork net, FleetHaproxy haproxy)
      throws Exception {
    Path targets = work.resolve("targets.json");
    StringBuilder list = new StringBuilder();
    for (String address : addresses()) {
      list.append(list.length() == 0 ? "" : ", ")
          .append('"')
          .append(address)
          .append(':')
          .append(FleetNetwork.MEMBER_PORT)
          .append('"');
    }
    Files.writeString(targets, "[{\"targets\": [" + list + "]}]\n");
    Path config = work.resolve("prometheus.yml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "global:",
            "  scrape_interval: 1s",
            "  scrape_timeout: 1s",
            "  evaluation_interval: 1s",
            "rule_files:",
            "  - " + deploy("prometheus/forkserve-rules.yml"),
            "scrape_configs:",
            "  - job_name: " + PrometheusServer.JOB,
            "    file_sd_configs:",
            "      - files: ['" + targets + "']",
            "        refresh_interval: 1s",
            ""));
    return PrometheusServer.startUnder(
        work,
        FleetNetwork.inside(net.hub),
        config,
        "127.0.0.1:" + FleetNetwork.PROMETHEUS_PORT,
        haproxy.prometheusPort,
        Duration.ofSeconds(1));
  }

  /** Closed-loop client: one request at a time, until told to stop or for at most 10 minutes. */
  private static void load(int port, List<Outcome> outcomes, boolean[] loading) {
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/predict"))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(PREDICT))
            .build();
    long end = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (loading[0] && System.nanoTime() - end < 0) {
      long start = System.nanoTime();
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        outcomes.add(
            new Outcome(
                start,
                System.nanoTime(),
                Instant.now(),
                r.statusCode(),
                r.headers().firstValue("X-Served-By").orElse("?"),
                r.statusCode() == 200 ? null : r.body()));
      } catch (java.io.IOException e) {
        outcomes.add(new Outcome(start, System.nanoTime(), Instant.now(), -1, "?", e.toString()));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Waits until {@code server} answered {@code count} requests started after {@code since}. */
  private static void awaitServed(
      List<Outcome> outcomes, String server, long count, long since, boolean[] loading) {
    Progress.awaitCount(
        () ->
            outcomes.stream()
                .filter(o -> o.ok() && o.server().equals(server) && o.start() > since)
                .count(),
        count,
        Duration.ofSeconds(30),
        () -> !loading[0],
        count + " requests answered by " + server);
  }

  private static boolean allRouting(FleetHaproxy haproxy, int... members) {
    for (int i : members) {
      if (!haproxy.routes(FleetHaproxy.server(i))) {
        return false;
      }
    }
    return true;
  }

  private static void assertNoFailures(
      List<Outcome> outcomes, Predicate<Outcome> which, String when) {
    List<Outcome> failed = outcomes.stream().filter(which).filter(o -> !o.ok()).toList();
    assertTrue(failed.isEmpty(), "requests failed " + when + ": " + failed);
  }

  private static void awaitValue(
      PrometheusServer prometheus, String promql, double value, Duration limit, String what) {
    ServerProcess.await(
        () -> {
          try {
            JsonNode r = prometheus.query(promql, Instant.now());
            return r.size() == 1 && Double.parseDouble(r.get(0).get("value").get(1).asText())
                == value;
          } catch (java.io.IOException e) {
            return false;
          }
        },
        limit,
        what + ": " + promql);
  }

  private static void awaitScrapes(
      PrometheusServer prometheus, String instance, int count, Duration limit) {
    String promql = "count_over_time(up{instance=\"" + instance + "\"}[1m] == 1)";
    Instant from = Instant.now();
    ServerProcess.await(
        () -> {
          try {
            String since = "count_over_time(up{instance=\"" + instance + "\"}["
                + Math.max(1, Duration.between(from, Instant.now()).toSeconds()) + "s])";
            JsonNode r = prometheus.query(since, Instant.now());
            return r.size() == 1 && r.get(0).get("value").get(1).asDouble() >= count;
          } catch (java.io.IOException e) {
            return false;
          }
        },
        limit,
        count + " scrapes of " + instance + " (" + promql + ")");
  }

  /**
   * The fleet's recording rules, at the time of their newest sample, equal their own expression
   * evaluated then, and each member's request count grew by what the clients got from it.
   */
  private static void checkRecordingRules(
      PrometheusServer prometheus, List<Outcome> outcomes, Instant loadStart, String when)
      throws Exception {
    Instant at = newestSample(prometheus, RATE + "{route=\"/predict\"}");
    double recorded = prometheus.scalar(RATE + "{route=\"/predict\"}", at);
    double raw = predictValue(prometheus.vector(ruleExpression(RATE), at));
    assertTrue(
        Math.abs(recorded - raw) <= 0.1 * raw,
        when + ": " + RATE + " recorded " + recorded + ", its expression gives " + raw);
    assertTrue(recorded > 0, when + ": " + RATE + " is " + recorded);
    long answered = 0;
    for (int i = 0; i < MEMBERS; i++) {
      answered += checkCounted(prometheus, outcomes, i, at, when);
    }
    assertTrue(answered > 0, when + ": no member's count has two samples in the last minute");
    Instant p99At = newestSample(prometheus, P99 + "{route=\"/predict\"}");
    double p99 = prometheus.scalar(P99 + "{route=\"/predict\"}", p99At);
    double p99Raw = predictValue(prometheus.vector(ruleExpression(P99), p99At));
    assertTrue(
        Math.abs(p99 - p99Raw) <= 0.2 * p99Raw,
        when + ": " + P99 + " recorded " + p99 + ", its expression gives " + p99Raw);
    assertTrue(p99 >= 0.02 && p99 < 30, when + ": p99 " + p99 + " s, each request sleeps 20 ms");
  }

  /**
   * Member {@code member}'s /predict 200 count as Prometheus stored it in the minute before {@code
   * at} grows by the answers the clients got from that member between those samples; returns
   * that number of answers. rate() cannot see what a series counted before its first sample (it
   * appears with the first request, and the load here runs for seconds, not a minute), so the
   * comparison is between samples, over each stretch without a counter reset. The slack covers
   * the requests in flight at the ends of each run of stretches, and those a member counted
   * between a scrape's start (the sample's timestamp) and its read of the files.
   */
  private static long checkCounted(PrometheusServer prometheus, List<Outcome> outcomes,
      int member, Instant at, String when) throws Exception {
    String instance = FleetNetwork.address(member) + ":" + FleetNetwork.MEMBER_PORT;
    JsonNode series = prometheus.query("forkserve_http_request_duration_seconds_count"
        + "{route=\"/predict\",status=\"200\",instance=\"" + instance + "\"}[1m]", at);
    String server = FleetHaproxy.server(member);
    double counted = 0;
    long answered = 0;
    int runs = 0;
    for (JsonNode s : series) {
      JsonNode values = s.get("values");
      boolean inRun = false;
      for (int k = 1; k < values.size(); k++) {
        double before = values.get(k - 1).get(1).asDouble();
        double now = values.get(k).get(1).asDouble();
        if (now < before) { // a reset: the member restarted between these two samples
          inRun = false;
          continue;
        }
        Instant from = sampleTime(values.get(k - 1));
        Instant to = sampleTime(values.get(k));
        counted += now - before;
        answered += outcomes.stream()
            .filter(o -> o.ok() && server.equals(o.server()) && o.endedAt().isAfter(from)
                && !o.endedAt().isAfter(to))
            .count();
        runs += inRun ? 0 : 1;
        inRun = true;
      }
    }
    double slack = 2.0 * CLIENTS * runs + 0.1 * answered;
    System.out.println("FleetIT: " + when + ", member " + member + " counted " + counted
        + " between samples, the clients got " + answered + " (" + runs + " runs)");
    assertTrue(Math.abs(counted - answered) <= slack, when + ": member " + member + " counted "
        + counted + " /predict answers between its samples, the clients got " + answered
        + " from it then (" + series + ")");
    return answered;
  }

  private static Instant sampleTime(JsonNode sample) {
    return Instant.ofEpochMilli(Math.round(sample.get(0).asDouble() * 1000));
  }

  private static Instant newestSample(PrometheusServer prometheus, String series)
      throws Exception {
    double seconds = prometheus.scalar("timestamp(" + series + ")", Instant.now());
    return Instant.ofEpochMilli(Math.round(seconds * 1000));
  }

  private static double predictValue(Map<Map<String, String>, Double> vector) {
    return vector.entrySet().stream()
        .filter(e -> "/predict".equals(e.getKey().get("route")))
        .mapToDouble(Map.Entry::getValue)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no /predict series in " + vector));
  }

  /** The expression of recording rule {@code record} in deploy/prometheus. */
  private static String ruleExpression(String record) throws Exception {
    JsonNode rules = YAML.readTree(deploy("prometheus/forkserve-rules.yml").toFile());
    for (JsonNode group : rules.get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        if (rule.has("record") && rule.get("record").asText().equals(record)) {
          return rule.get("expr").asText();
        }
      }
    }
    return fail("no recording rule " + record);
  }

  /**
   * Counters (and histogram counts and buckets) of the restarted member reset exactly once, its
   * /predict count included; no series of another member reset.
   */
  private static void checkResets(PrometheusServer prometheus, String restarted) throws Exception {
    Instant now = Instant.now();
    boolean predictReset = false;
    for (String name : prometheus.metricNames()) {
      if (!(name.endsWith("_total") || name.endsWith("_count") || name.endsWith("_bucket"))) {
        continue;
      }
      for (var e : prometheus.vector("resets(" + name + "[15m])", now).entrySet()) {
        String instance = e.getKey().get("instance");
        double resets = e.getValue();
        if (instance.equals(restarted)) {
          assertTrue(resets <= 1, name + e.getKey() + " reset " + resets + " times");
          predictReset |=
              name.equals("forkserve_http_request_duration_seconds_count")
                  && "/predict".equals(e.getKey().get("route"))
                  && resets == 1;
        } else {
          assertEquals(0, resets, name + e.getKey() + " reset on a member never restarted");
        }
      }
    }
    assertTrue(predictReset, "the restarted member's /predict count shows no reset");
  }

  /** A file of the repository's deploy/ tree. */
  private static Path deploy(String relative) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy"))) {
        return dir.resolve("deploy").resolve(relative);
      }
    }
    return fail("no deploy/ directory above " + Path.of("").toAbsolutePath());
  }
}
