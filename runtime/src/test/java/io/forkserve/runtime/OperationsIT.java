package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signals and the admin endpoint: scaling, rolling restart, graceful and immediate shutdown. */
class OperationsIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "s3cret-token";

  @Test
  void scalesUpAndDownBySignalAndByTheAdminEndpoint(@TempDir Path tmp) throws Exception {
    // the first worker's setup waits for this file, so "still starting" holds however slow the
    // machine is
    Path gate = tmp.resolve("go");
    try (ServerProcess server =
        ServerProcess.start(
                Map.of("SCRIPTED_SETUP_WAIT_FOR_FILE", gate.toString()),
                "--api",
                ScriptedApi.class.getName(),
                "--workers",
                "1",
                "--admin-token",
                TOKEN)
            .awaitListening()) {
      HttpResponse<String> early = admin(server, "/admin/workers?count=2");
      assertEquals(409, early.statusCode(), early.body());
      assertTrue(early.body().contains("still starting"), early.body());
      Files.createFile(gate);
      server.awaitHealthy();
      signal(server, "TTIN");
      awaitWorkers(server, 2);
      signal(server, "TTOU");
      awaitWorkers(server, 1);

      HttpResponse<String> noToken = server.post("/admin/workers?count=3", "");
      assertEquals(401, noToken.statusCode());
      assertTrue(JSON.readTree(noToken.body()).get("error").asText().contains("admin token"));
      HttpResponse<String> wrong =
          server.post("/admin/workers?count=3", "", "Authorization", "Bearer nope");
      assertEquals(401, wrong.statusCode());
      assertEquals(1, liveWorkers(server).size(), "refused calls changed nothing");

      assertEquals(202, admin(server, "/admin/workers?count=3").statusCode());
      awaitWorkers(server, 3);
      assertEquals(400, admin(server, "/admin/workers?count=0").statusCode());
      assertEquals(202, admin(server, "/admin/workers?count=1").statusCode());
      awaitWorkers(server, 1);
      assertEquals(200, server.post("/predict", "{\"input\":1}").statusCode());
      assertEquals(6, info(server).get("restarts").get("scale").asInt());
      assertTrue(
          server
              .get("/metrics")
              .body()
              .contains("forkserve_worker_restarts_total{api=\"default\",reason=\"scale\"} 6.0"));
    }
  }

  @Test
  void rollingRestartBySighupAndAdminFailsNoRequest() throws Exception {
    try (ServerProcess server =
            ServerProcess.start(
                    "--api", ScriptedApi.class.getName(), "--workers", "2", "--admin-token", TOKEN)
                .awaitHealthy();
        WorkerFaultsIT.Load load = new WorkerFaultsIT.Load(server, 4, "{\"sleep_ms\":20}")) {
      load.awaitResponses(20);
      Set<Long> first = pids(server);
      signal(server, "HUP");
      awaitReplaced(server, first, 2, "SIGHUP to replace both workers");
      Set<Long> second = pids(server);
      assertEquals(202, admin(server, "/admin/reload").statusCode());
      awaitReplaced(server, second, 4, "admin reload to replace both workers");
      load.awaitResponses(load.outcomes.size() + 20);
      load.stop();
      assertTrue(load.errors.isEmpty(), () -> "client errors: " + load.errors);
      assertTrue(
          load.outcomes.stream().allMatch(o -> o.status() == 200),
          () -> "failed: " + load.outcomes.stream().filter(o -> o.status() != 200).toList());
      ServerProcess.await(
          () -> liveWorkers(server).size() == 2, Duration.ofSeconds(10), "old workers to exit");
    }
  }

  @Test
  void sigtermFinishesInFlightRequestsAndLeavesNoProcess() throws Exception {
    try (ServerProcess server =
        ServerProcess.start("--api", ScriptedApi.class.getName(), "--workers", "2")
            .awaitHealthy()) {
      assertEquals(404, server.post("/admin/workers?count=2", "").statusCode(), "admin off");
      List<Long> processes = liveWorkers(server);
      Path metricsDir = Path.of(info(server).get("metrics_dir").asText());
      List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        inFlight.add(postAsync(server, "{\"input\":" + i + ",\"sleep_ms\":1500}"));
      }
      ServerProcess.await(
          () -> inProgress(server) == 3, Duration.ofSeconds(10), "3 requests in progress");
      signal(server, "TERM");
      ServerProcess.await(
          () -> server.stdout.stream().anyMatch(l -> l.contains("shutting down")),
          Duration.ofSeconds(5),
          "the shutdown line");
      HttpResponse<String> late = server.post("/predict", "{\"input\":9}");
      assertEquals(503, late.statusCode());
      assertTrue(late.body().contains("shutting down"), late.body());
      for (CompletableFuture<HttpResponse<String>> call : inFlight) {
        HttpResponse<String> r = call.get();
        assertEquals(200, r.statusCode(), r.body());
      }
      assertEquals(0, server.awaitExit(Duration.ofSeconds(15)));
      assertNoneAlive(processes);
      assertTrue(server.stdout.contains("forkserve: stopped"), () -> "stdout " + server.stdout);
      assertFalse(Files.exists(metricsDir), "the private metrics directory is removed");
    }
  }

  @Test
  void aSecondSignalStopsAtOnce() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
                "--api",
                ScriptedApi.class.getName(),
                "--graceful-timeout",
                "60s",
                "--timeout",
                "90s")
            .awaitHealthy()) {
      List<Long> processes = liveWorkers(server);
      CompletableFuture<HttpResponse<String>> stuck = postAsync(server, "{\"sleep_ms\":60000}");
      ServerProcess.await(() -> inProgress(server) == 1, Duration.ofSeconds(10), "in progress");
      signal(server, "TERM");
      ServerProcess.await(
          () -> server.stdout.stream().anyMatch(l -> l.contains("shutting down")),
          Duration.ofSeconds(5),
          "the shutdown line");
      long second = System.nanoTime();
      signal(server, "TERM");
      assertEquals(128 + 15, server.awaitExit(Duration.ofSeconds(10)));
      double seconds = (System.nanoTime() - second) / 1e9;
      assertTrue(seconds < 5, "stopped " + seconds + " s after the second signal");
      assertNoneAlive(processes);
      stuck.handle((r, e) -> null).get();
    }
  }

  /**
   * The server runs in a network namespace of its own, joined to another by a veth pair (as in
   * FleetIT): a client there has a non-loopback address on every machine, whatever its network.
   * curl, run inside each namespace, is the client.
   */
  @Test
  void theAdminEndpointRefusesANonLoopbackClientEvenWithTheToken() throws Exception {
    Path curl = Tools.require("curl");
    try (FleetNetwork net = FleetNetwork.create(1);
        ServerProcess server =
            ServerProcess.startUnder(
                FleetNetwork.inside(net.members.get(0)),
                FleetNetwork.address(0),
                Map.of(),
                "--host", "0.0.0.0", "--admin-token", TOKEN)) {
      server.awaitWhileAlive(
          () -> server.stdout.stream().anyMatch(l -> l.startsWith("forkserve: ready in")),
          Progress.stretched(Duration.ofMinutes(3)),
          "the ready line");
      String admin = ":" + server.port() + "/admin/workers?count=";
      List<String> post =
          List.of(curl.toString(), "-sS", "-i", "--max-time", "30", "-X", "POST",
              "-H", "Authorization: Bearer " + TOKEN);

      List<String> fromHub = new ArrayList<>(FleetNetwork.inside(net.hub));
      fromHub.addAll(post);
      fromHub.add("http://" + FleetNetwork.address(0) + admin + "2");
      String answer = Processes.run(Duration.ofSeconds(60), null, fromHub);
      assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
      assertTrue(answer.contains("only on localhost"), answer);

      List<String> info = new ArrayList<>(FleetNetwork.inside(net.members.get(0)));
      info.addAll(List.of(curl.toString(), "-sS", "--max-time", "30",
          "http://127.0.0.1:" + server.port() + "/info"));
      JsonNode view = JSON.readTree(Processes.run(Duration.ofSeconds(60), null, info));
      assertEquals(1, view.get("desired_workers").asInt(), view.toString());

      List<String> fromLoopback = new ArrayList<>(FleetNetwork.inside(net.members.get(0)));
      fromLoopback.addAll(post);
      fromLoopback.add("http://127.0.0.1" + admin + "1");
      String fine = Processes.run(Duration.ofSeconds(60), null, fromLoopback);
      assertTrue(fine.startsWith("HTTP/1.1 202"), "loopback is fine: " + fine);
    }
  }

  static void signal(ServerProcess server, String name) throws Exception {
    // a signal this JVM inherited as ignored (a suite started under nohup) is never delivered:
    // fail at once, naming why, rather than wait for an effect that cannot come
    String refused = "forkserve: not handling SIG" + name;
    assertTrue(server.stdout.stream().noneMatch(l -> l.startsWith(refused)),
        () -> "the server does not handle SIG" + name + " (is the suite run under nohup?): "
            + server.stdout);
    Processes.run(new byte[0], "kill", "-" + name, Long.toString(server.process.pid()));
  }

  static HttpResponse<String> admin(ServerProcess server, String path) throws IOException {
    return server.post(path, "", "Authorization", "Bearer " + TOKEN);
  }

  static CompletableFuture<HttpResponse<String>> postAsync(ServerProcess server, String body) {
    HttpRequest request =
        HttpRequest.newBuilder(server.uri("/predict"))
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return server.http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode info(ServerProcess server) {
    try {
      return JSON.readTree(server.get("/info").body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static int inProgress(ServerProcess server) {
    JsonNode info = info(server);
    return info.get("queue_depth").asInt() + info.get("in_workers").asInt();
  }

  /**
   * Waits for a rolling reload: the reload count follows the workers replaced one by one, so the
   * wait lasts while it grows (each step may take as long as the measured start-up, several times
   * over), then for the old processes to be gone and the server healthy.
   */
  private static void awaitReplaced(
      ServerProcess server, Set<Long> old, int reloads, String what) {
    Progress.awaitCount(
        () -> reloads(server),
        reloads,
        Progress.stretched(Progress.scaled(server.startup(), 5, Duration.ofSeconds(30))),
        () -> !server.process.isAlive(),
        what);
    server.awaitWhileAlive(
        () -> disjoint(old, pids(server)) && healthy(server),
        Progress.stretched(Duration.ofSeconds(30)),
        what + " and the old workers to be gone");
  }

  static int reloads(ServerProcess server) {
    return info(server).get("restarts").get("reload").asInt();
  }

  static boolean healthy(ServerProcess server) {
    return server.statusOf("/health") == 200;
  }

  static Set<Long> pids(ServerProcess server) {
    Set<Long> pids = new HashSet<>();
    info(server).get("workers").forEach(w -> pids.add(w.get("pid").asLong()));
    return pids;
  }

  static boolean disjoint(Set<Long> a, Set<Long> b) {
    return a.stream().noneMatch(b::contains);
  }

  /** Worker processes under the server, from the process listing. */
  static List<Long> liveWorkers(ServerProcess server) {
    List<Long> workers = new ArrayList<>();
    List<Long> listed = ServerProcess.processesWith("WorkerMain");
    server
        .process
        .descendants()
        .filter(p -> listed.contains(p.pid()))
        .forEach(p -> workers.add(p.pid()));
    return workers;
  }

  static void awaitWorkers(ServerProcess server, int n) {
    ServerProcess.await(
        () -> {
          JsonNode info = info(server);
          return info.get("desired_workers").asInt() == n
              && healthy(server)
              && liveWorkers(server).size() == n;
        },
        Duration.ofSeconds(30),
        n + " workers, healthy, and no more worker processes");
  }

  static void assertNoneAlive(List<Long> pids) {
    ServerProcess.await(
        () -> ServerProcess.processesWith("WorkerMain").stream().noneMatch(pids::contains),
        Duration.ofSeconds(5),
        "workers " + pids + " to be gone");
  }
}
