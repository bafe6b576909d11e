package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, findings 2, 6, 9 and part of 11, against real servers: invented methods and paths
 * create no series, a bad HELLO on the worker socket stops nothing and keeps no descriptor, a
 * worker never ready is killed, secrets stay out of workers' environments and argv, /info needs
 * the key, read-only routes answer 405, workers die promptly with their supervisor, and killed
 * JVMs leave no lmdbjava library behind.
 */
class HostileClientsIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String KEY = "k3y-HostileClientsIT";
  static final String TOKEN = "t0ken-HostileClientsIT";
  static final String JVM_SECRET = "-Ddb.password=hunter2-HostileClientsIT";
  static final Pattern DURATION_SERIES =
      Pattern.compile(
          "^forkserve_http_request_duration_seconds_count\\{([^}]*)\\}", Pattern.MULTILINE);
  static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  @TempDir static Path tmp;
  static ServerProcess server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start(
                Map.of("FORKSERVE_API_KEY", KEY, "FORKSERVE_ADMIN_TOKEN", TOKEN),
                "--workers",
                "1",
                "--worker-jvm-opts",
                "-XX:+UseSerialGC -XX:-UsePerfData " + JVM_SECRET)
            .awaitHealthy();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  // --- finding 2: label values from the network come from a closed set ---

  @Test
  void inventedMethodsAndPathsCreateNoSeries() throws Exception {
    String before = metrics();
    long bytesBefore = metricFileBytes();
    for (int i = 0; i < 200; i++) {
      HttpRequest invented =
          HttpRequest.newBuilder(server.uri("/nowhere-" + i))
              .method("INVENTED" + i, HttpRequest.BodyPublishers.noBody())
              .timeout(Duration.ofSeconds(30))
              .build();
      assertEquals(404, server.send(invented).statusCode());
      HttpRequest onRoute =
          HttpRequest.newBuilder(server.uri("/health"))
              .method("X" + i, HttpRequest.BodyPublishers.noBody())
              .timeout(Duration.ofSeconds(30))
              .build();
      assertEquals(405, server.send(onRoute).statusCode());
    }
    String after = metrics();
    Set<String> methods = labelValues(after, "method");
    Set<String> routes = labelValues(after, "route");
    Set<String> closed =
        Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT");
    assertTrue(closed.containsAll(methods.stream().filter(m -> !m.equals("other")).toList()),
        methods::toString);
    assertTrue(methods.contains("other"), methods::toString);
    assertTrue(
        Set.of("/health", "/info", "/metrics", "/predict", "unmatched").containsAll(routes),
        routes::toString);
    int added = series(after) - series(before);
    assertTrue(added <= 4, "400 invented requests added " + added + " series");
    // a file grows by doubling: at most one doubling for the few series a closed set allows
    long grown = metricFileBytes() - bytesBefore;
    assertTrue(
        grown <= Math.max(256 * 1024, bytesBefore),
        "the metric files grew from " + bytesBefore + " by " + grown + " bytes");
  }

  // --- finding 11: read-only routes ---

  @Test
  void readOnlyRoutesAnswer405WithJsonToOtherMethods() throws Exception {
    for (String path : List.of("/metrics", "/info", "/health")) {
      for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
        HttpResponse<String> answer =
            server.send(
                HttpRequest.newBuilder(server.uri(path))
                    .method(method, HttpRequest.BodyPublishers.ofString("{}"))
                    .header("X-API-Key", KEY)
                    .timeout(Duration.ofSeconds(30))
                    .build());
        assertEquals(405, answer.statusCode(), method + " " + path);
        assertTrue(JSON.readTree(answer.body()).has("error"), answer.body());
        assertTrue(answer.headers().firstValue("Allow").orElse("").contains("GET"), path);
      }
      HttpResponse<String> head =
          server.send(
              HttpRequest.newBuilder(server.uri(path))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .header("X-API-Key", KEY)
                  .timeout(Duration.ofSeconds(30))
                  .build());
      assertEquals(200, head.statusCode(), "HEAD " + path);
    }
  }

  // --- finding 9: secrets ---

  @Test
  void infoNeedsTheKeyAndNeverShowsJvmOptionsOrSecrets() throws Exception {
    assertEquals(401, server.get("/info").statusCode());
    HttpResponse<String> info =
        server.send(
            HttpRequest.newBuilder(server.uri("/info"))
                .header("X-API-Key", KEY)
                .timeout(Duration.ofSeconds(30))
                .build());
    assertEquals(200, info.statusCode());
    assertFalse(info.body().contains("hunter2"), info.body());
    assertFalse(info.body().contains(KEY), info.body());
    assertFalse(info.body().contains(TOKEN), info.body());
    JsonNode settings = JSON.readTree(info.body()).get("settings");
    assertEquals("(set)", settings.get("api-key").asText());
    assertEquals("(3 options, not shown)", settings.get("worker-jvm-opts").asText());
  }

  @Test
  void workersEnvironmentAndEveryArgvHoldNoSecret() throws Exception {
    List<Long> workers = workersOf(server);
    assertFalse(workers.isEmpty());
    for (long pid : workers) {
      String environ = proc(pid, "environ");
      assertTrue(environ.contains("METRICS_MULTIPROC_DIR="), "environ readable: " + pid);
      assertFalse(environ.contains(TOKEN), "admin token in worker " + pid + "'s environment");
      assertFalse(environ.contains(KEY), "API key in worker " + pid + "'s environment");
      assertFalse(proc(pid, "cmdline").contains(KEY), "API key in worker " + pid + "'s argv");
    }
    String frontArgv = proc(server.process.pid(), "cmdline");
    assertFalse(frontArgv.contains(KEY), frontArgv);
    assertFalse(frontArgv.contains(TOKEN), frontArgv);
  }

  @Test
  void anEmptyKeyIsRefusedAtStartUpWithOneLine() throws Exception {
    try (ServerProcess refused = ServerProcess.start(Map.of("FORKSERVE_API_KEY", ""))) {
      assertEquals(Serve.EXIT_USAGE, refused.awaitExit(Duration.ofSeconds(60)));
      ServerProcess.await(() -> !refused.stderr.isEmpty(), Duration.ofSeconds(5), "stderr");
      assertEquals(1, refused.stderr.size(), refused.stderr::toString);
      assertTrue(refused.stderr.get(0).contains("empty"), refused.stderr::toString);
    }
  }

  @Test
  void theKeyFromAFileIsRequiredAndNotInArgv() throws Exception {
    Path keyFile = Files.writeString(tmp.resolve("api-key"), "from-a-file-" + KEY + "\n");
    try (ServerProcess fromFile =
        ServerProcess.start("--workers", "1", "--api-key-file", keyFile.toString())
            .awaitHealthy()) {
      assertEquals(401, fromFile.post("/predict", "{}").statusCode());
      assertNotEquals(
          401,
          fromFile.post("/predict", "{\"x\": 1}", "X-API-Key", "from-a-file-" + KEY).statusCode(),
          "the key from the file is accepted");
      assertFalse(proc(fromFile.process.pid(), "cmdline").contains("from-a-file-"));
    }
  }

  // --- finding 6: the worker socket ---

  @Test
  void badHellosKeepNoDescriptorAndTheServerStillReplacesWorkers() throws Exception {
    long front = server.process.pid();
    long worker = workersOf(server).get(0);
    Path socket = socketOf(worker);
    int fdsBefore = descriptors(front);
    List<byte[]> hostile =
        List.of(
            new byte[] {0, 0, 0, 1, 1}, // a 5-byte HELLO with no fields
            new byte[] {0, 0, 0, 3, 1, 0, 0}, // short fields
            new byte[] {0x7f, 0, 0, 0, 1}, // claims a 2 GiB frame
            new byte[] {0, 0, 0, 2, 9, 9}, // not a HELLO
            new byte[] {1, 2}, // half a header, then EOF
            new byte[0]); // connect and close
    for (int round = 0; round < 20; round++) {
      for (byte[] bytes : hostile) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
          channel.connect(UnixDomainSocketAddress.of(socket));
          channel.write(ByteBuffer.wrap(bytes));
        }
      }
    }
    ServerProcess.await(
        () -> descriptors(front) <= fdsBefore + 2,
        Duration.ofSeconds(10),
        "front descriptors back to " + fdsBefore + " (now " + descriptors(front) + ")");

    ProcessHandle.of(worker).ifPresent(ProcessHandle::destroyForcibly);
    server.awaitWhileAlive(
        () -> !workersOf(server).isEmpty() && !workersOf(server).contains(worker),
        Progress.scaled(server.startup(), 5, Duration.ofSeconds(30)),
        "a replacement worker");
    server.awaitWhileAlive(
        () -> server.statusOf("/health") == 200,
        Progress.scaled(server.startup(), 5, Duration.ofSeconds(30)),
        "/health 200 after the replacement");
    assertTrue(
        server.stderr.stream().filter(l -> l.contains("worker connection refused")).count() <= 3,
        "bad HELLOs are logged at most once per interval: " + server.stderr);
  }

  @Test
  void aWorkerNeverReadyIsKilledAndStartUpFailsWithOneLine() throws Exception {
    try (ServerProcess stuck =
        ServerProcess.start(
            Map.of("SCRIPTED_SETUP_MS", "600000"),
            "--api",
            ScriptedApi.class.getName(),
            "--workers",
            "1",
            "--worker-start-timeout",
            "3s")) {
      assertNotEquals(0, stuck.awaitExit(Duration.ofSeconds(90)));
      assertTrue(
          stuck.stderr.stream().anyMatch(l -> l.contains("(--worker-start-timeout)")),
          stuck.stderr::toString);
    }
  }

  // --- finding 11: workers follow a killed supervisor; no lmdbjava library left behind ---

  @Test
  void workersExitPromptlyAfterTheSupervisorIsKilled() throws Exception {
    try (ServerProcess victim =
        ServerProcess.start(
                "--api", ScriptedApi.class.getName(), "--workers", "2", "--timeout", "60s")
            .awaitHealthy()) {
      List<Long> workers = workersOf(victim);
      assertEquals(2, workers.size(), workers::toString);
      Thread busy =
          new Thread(
              () -> {
                try {
                  victim.post("/predict", "{\"sleep_ms\": 20000}");
                } catch (IOException e) {
                  // the front is killed under this request
                }
              });
      busy.setDaemon(true);
      busy.start();
      victim.awaitWhileAlive(
          () -> inWorkers(victim) == 1, Duration.ofSeconds(60), "the request to reach a worker");
      long killed = System.nanoTime();
      victim.process.destroyForcibly();
      ServerProcess.await(
          () -> workers.stream().noneMatch(HostileClientsIT::running),
          Duration.ofSeconds(1),
          "workers to exit after kill -9 of their supervisor");
      System.out.printf(
          "workers gone %.3f s after kill -9 of the supervisor%n",
          (System.nanoTime() - killed) / 1e9);
    }
  }

  /**
   * Without the shared copy every JVM that opens an archive and is killed leaves its extracted
   * library behind, so five at once (each loading lmdbjava, a second of CPU) show it.
   */
  @Test
  void fiveKilledJvmsLeaveNoLmdbjavaLibraryInTheTempDirectory() throws Exception {
    Path privateTmp = Files.createDirectories(tmp.resolve("jvm-tmp"));
    List<Process> holders = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Path dir = Files.createDirectories(tmp.resolve("archive-" + i));
      Path log = tmp.resolve("holder-" + i + ".log");
      logs.add(log);
      holders.add(
          Processes.start(
              log,
              Processes.javaCommand(
                  Stream.concat(
                          Processes.QUICK_JVM.stream(), Stream.of("-Djava.io.tmpdir=" + privateTmp))
                      .toList(),
                  ArchiveHolder.class.getName(),
                  dir.toString())));
    }
    for (int i = 0; i < holders.size(); i++) {
      Path log = logs.get(i);
      Process holder = holders.get(i);
      Processes.awaitOutput(
          holder, log, text -> text.contains("archive open"), Duration.ofSeconds(60), "archive");
    }
    for (Process holder : holders) {
      holder.destroyForcibly();
      holder.waitFor();
    }
    try (Stream<Path> left = Files.list(privateTmp)) {
      List<String> names =
          left.map(p -> p.getFileName().toString()).filter(n -> n.contains("lmdb")).toList();
      assertEquals(List.of(), names, "left behind by 5 killed JVMs");
    }
  }

  /** Opens a metrics archive (loading lmdbjava), says so, and waits to be killed. */
  public static final class ArchiveHolder {
    public static void main(String[] args) throws Exception {
      MetricsArchive archive = MetricsArchive.open(Path.of(args[0]));
      System.out.println("archive open: " + archive.folder());
      System.out.flush();
      Thread.sleep(600_000);
    }
  }

  // --- helpers ---

  static int inWorkers(ServerProcess server) {
    try {
      return JSON.readTree(server.get("/info").body()).get("in_workers").asInt();
    } catch (IOException e) {
      return -1;
    }
  }

  static String metrics() throws IOException {
    HttpResponse<String> answer = server.get("/metrics");
    assertEquals(200, answer.statusCode());
    return answer.body();
  }

  /** The sizes of the server's metric files, summed. */
  static long metricFileBytes() throws IOException {
    HttpResponse<String> info = server.get("/info", "X-API-Key", KEY);
    Path dir = Path.of(JSON.readTree(info.body()).get("metrics_dir").asText());
    try (Stream<Path> files = Files.list(dir)) {
      long bytes = 0;
      for (Path file : files.filter(f -> f.toString().endsWith(".db")).toList()) {
        bytes += ((Number) Files.getAttribute(file, "unix:size")).longValue();
      }
      return bytes;
    }
  }

  static int series(String exposition) {
    int n = 0;
    Matcher m = DURATION_SERIES.matcher(exposition);
    while (m.find()) {
      n++;
    }
    return n;
  }

  static Set<String> labelValues(String exposition, String label) {
    Set<String> values = new TreeSet<>();
    Matcher m = DURATION_SERIES.matcher(exposition);
    while (m.find()) {
      Matcher l = LABEL.matcher(m.group(1));
      while (l.find()) {
        if (l.group(1).equals(label)) {
          values.add(l.group(2));
        }
      }
    }
    return values;
  }

  static List<Long> workersOf(ServerProcess server) {
    return server.process.children().map(ProcessHandle::pid).toList();
  }

  static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  static String proc(long pid, String file) throws IOException {
    byte[] bytes = Files.readAllBytes(Path.of("/proc/" + pid + "/" + file));
    return new String(bytes, StandardCharsets.UTF_8).replace('\0', ' ');
  }

  static Path socketOf(long worker) throws IOException {
    for (String arg : proc(worker, "cmdline").split(" ")) {
      if (arg.startsWith("socket=")) {
        return Path.of(arg.substring("socket=".length()));
      }
    }
    throw new AssertionError("no socket= argument in worker " + worker + "'s command line");
  }

  static int descriptors(long pid) {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      return Integer.MAX_VALUE;
    }
  }
}
