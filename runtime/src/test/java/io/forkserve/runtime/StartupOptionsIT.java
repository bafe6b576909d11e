package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JVM options and class-data archive a server's front and workers start with. */
class StartupOptionsIT {
  private static final String SECRET = "s3cret-key-never-in-argv";

  @Test
  void workerJvmOptionsReachTheWorkerButTheSecretsDoNot() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            Map.of("FORKSERVE_API_KEY", SECRET),
            "--workers", "1",
            "--worker-jvm-opts", "-XX:+UseSerialGC -Xss900k -Dforkserve.test.marker=startmem")) {
      server.awaitHealthy();
      long worker = onlyWorker(server);
      List<String> argv = argv(worker);
      assertTrue(argv.contains("-Xss900k"), argv::toString);
      assertTrue(argv.contains("-Dforkserve.test.marker=startmem"), argv::toString);
      assertFalse(String.join(" ", argv).contains(SECRET), argv::toString);
      String environ = Files.readString(Path.of("/proc", Long.toString(worker), "environ"));
      assertFalse(environ.contains(SECRET), "the worker's environment holds the API key");
    }
  }

  @Test
  void aWorkerJvmOptionJavaRefusesStopsStartUpWithOneLine() throws Exception {
    try (ServerProcess server =
        ServerProcess.start("--workers", "2", "--worker-jvm-opts", "-XX:+UseSerialGC -Xss1x")) {
      assertEquals(Serve.EXIT_USAGE, server.awaitExit(Duration.ofSeconds(30)));
      assertEquals(
          List.of(
              "forkserve: --worker-jvm-opts is refused by java:"
                  + " Invalid thread stack size: -Xss1x"),
          server.stderr,
          "stderr");
      assertFalse(
          server.stdout.stream().anyMatch(l -> l.contains("worker")),
          "no worker was started: " + server.stdout);
    }
  }

  /** The front's own options, checked by bin/serve: the same exit and one line. */
  @Test
  void aFrontJvmOptionJavaRefusesStopsBinServeWithOneLine(@TempDir Path cds) throws Exception {
    try (ServerProcess server =
        binServe(Map.of("FORKSERVE_JVM_OPTS", "-Xss1x", "FORKSERVE_CDS_DIR", cds.toString()))) {
      assertEquals(Serve.EXIT_USAGE, server.awaitExit(Duration.ofSeconds(30)));
      assertEquals(
          List.of("forkserve: FORKSERVE_JVM_OPTS is refused by java:"
              + " Invalid thread stack size: -Xss1x"),
          server.stderr,
          "stderr");
      try (Stream<Path> built = Files.list(cds)) {
        assertEquals(List.of(), built.toList(), "no class-data archive built first");
      }
    }
  }

  /**
   * bin/serve uses the archives of its directory (the front's and the workers'), and front and
   * workers map theirs at the address they were built for; corrupt archives under the same names,
   * or one of other jars, still start. The directory starts with a copy of the archives the
   * process tests' servers use, which bin/lib/launch.sh built for these jars (a build costs as
   * much CPU as a test class); that bin/serve builds them where there are none is
   * {@code FreshCloneIT}'s first start, and with other jars or another java it builds them here.
   */
  @Test
  void binServeUsesTheArchiveAndStartsWithoutAUsableOne(@TempDir Path cds) throws Exception {
    Path shared = ServerClassData.get().archive();
    if (shared != null) {
      String name = shared.getFileName().toString();
      Path sharedWorkers = shared.resolveSibling(name.replace(".jsa", "-worker.jsa"));
      Files.copy(sharedWorkers, cds.resolve(sharedWorkers.getFileName()));
      Files.copy(shared, cds.resolve(name));
    }
    Map<String, String> env = Map.of("FORKSERVE_CDS_DIR", cds.toString());
    Path archive;
    Path workers;
    try (ServerProcess server = binServe(env)) {
      server.awaitHealthy();
      List<Path> archives = archives(cds);
      assertEquals(2, archives.size(), archives::toString);
      archive = archives.stream().filter(p -> !isWorkers(p)).findFirst().orElseThrow();
      workers = archives.stream().filter(StartupOptionsIT::isWorkers).findFirst().orElseThrow();
      long front = server.process.pid();
      assertTrue(mappedUnrelocated(front, archive), "front maps " + archive + " unrelocated");
      assertFalse(maps(front).contains(workers.toString()), "front maps " + workers);
      long worker = onlyWorker(server);
      assertTrue(argv(worker).contains("-XX:SharedArchiveFile=" + workers), argv(worker)::toString);
      assertTrue(mappedUnrelocated(worker, workers), "worker maps " + workers + " unrelocated");
    }

    // corrupt under their own names, and a stale one of other jars beside them
    for (Path built : List.of(archive, workers)) {
      built.toFile().setWritable(true);
      Files.write(built, "not an archive".getBytes(StandardCharsets.US_ASCII));
    }
    Path stale = cds.resolve("forkserve-0000000000000000.jsa");
    Files.write(stale, "older jars".getBytes(StandardCharsets.US_ASCII));
    try (ServerProcess server = binServe(env)) {
      server.awaitHealthy();
      assertEquals(200, server.post("/predict", "{\"input\": 1}").statusCode());
      assertFalse(
          server.stderr.stream().anyMatch(l -> l.contains("archive")), server.stderr::toString);
      long worker = onlyWorker(server);
      assertFalse(String.join(" ", argv(worker)).contains(stale.toString()), "stale one not used");
      assertFalse(maps(worker).contains(workers.toString()), "the corrupt archive is not mapped");
    }
  }

  private static ServerProcess binServe(Map<String, String> env) throws IOException {
    Path root = Fixtures.projectRoot();
    return ServerProcess.run(
        List.of(
            root.resolve("bin/serve").toString(),
            "--port", "0", "--workers", "1", "--drain-delay", "0"),
        env);
  }

  private static List<Path> archives(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jsa")).toList();
    }
  }

  private static boolean isWorkers(Path archive) {
    return archive.getFileName().toString().endsWith("-worker.jsa");
  }

  private static long onlyWorker(ServerProcess server) {
    List<ProcessHandle> children = server.process.children().toList();
    assertEquals(1, children.size(), children::toString);
    return children.get(0).pid();
  }

  private static List<String> argv(long pid) throws IOException {
    byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
    return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
  }

  /**
   * True when {@code pid} maps {@code archive} at the address it was built for (Java 17's
   * default base, 0x800000000), so the JVM did not rewrite the archive's pointers at start-up.
   */
  private static boolean mappedUnrelocated(long pid, Path archive) throws IOException {
    return maps(pid).lines()
        .anyMatch(l -> l.startsWith("800000000-") && l.endsWith(archive.toString()));
  }

  private static String maps(long pid) throws IOException {
    return Files.readString(Path.of("/proc", Long.toString(pid), "maps"));
  }
}
