package io.forkserve.runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.ServerProcess;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real {@code bin/metrics} script on directories Python wrote. */
class MetricsCliIT {
  private static final Path ROOT = Fixtures.projectRoot();
  private static final Path FIXTURES = Fixtures.prometheusClient();

  @TempDir Path tmp;

  record Result(int code, String out, String err) {}

  static Result run(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("bin/metrics").toString());
    command.addAll(List.of(args));
    return exec(command);
  }

  static Result exec(List<String> command) throws Exception {
    Processes.Result r = Processes.exec(new byte[0], command.toArray(new String[0]));
    return new Result(r.exit(), r.stdout(), r.stderr());
  }

  private Path copyFixture(String version, String scenario) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(version + "-" + scenario));
    try (Stream<Path> files = Files.list(FIXTURES.resolve(version).resolve(scenario))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    return dir;
  }

  @Test
  void inspectListsEveryFileAndSkipsForeignOnesWithReasons() throws Exception {
    Path dir = copyFixture("v0.16.0", "counters");
    Files.write(dir.resolve("counter_99999999.db"), new byte[0]);
    Files.writeString(dir.resolve("notes.db"), "not a metric file");
    Result r = run("inspect", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("counter_99999999.db"), r.out());
    assertTrue(r.out().matches("(?s).*counter_99999999\\.db.*skipped: empty.*"), r.out());
    assertTrue(r.out().matches("(?s).*notes\\.db.*skipped: bad_name.*"), r.out());
    try (Stream<Path> files = Files.list(FIXTURES.resolve("v0.16.0/counters"))) {
      long pythonFiles = files.count();
      long okRows = r.out().lines().filter(l -> l.endsWith(" ok")).count();
      assertEquals(pythonFiles, okRows, r.out());
      assertTrue(r.out().contains((pythonFiles + 2) + " files, " + pythonFiles + " readable, 2 skipped"),
          r.out());
    }
  }

  @Test
  void dumpJsonEqualsWhatPythonReadsFromTheSameFile() throws Exception {
    Path python = Tools.require("python3-prometheus-client");
    Path file = FIXTURES.resolve("v0.16.0/histograms/histogram_15553.db");
    Result r = run("dump", file.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode dump = new ObjectMapper().readTree(r.out());
    assertEquals("v1", dump.get("format").asText());

    String script = "import json,sys\n"
        + "from prometheus_client.mmap_dict import MmapedDict\n"
        + "for key, value, offset in MmapedDict.read_all_values_from_file(sys.argv[1]):\n"
        + "    m, s, labels, h = json.loads(key)\n"
        + "    print(json.dumps([s, labels, value], sort_keys=True))\n";
    Result py = exec(List.of(python.toString(), "-c", script, file.toString()));
    assertEquals(0, py.code(), py.err());
    List<String> expected = py.out().lines().toList();
    List<String> actual = new ArrayList<>();
    ObjectMapper sorted = new ObjectMapper()
        .configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS,
            true);
    for (JsonNode e : dump.get("entries")) {
      actual.add(e.get("sample").asText() + " " + sorted.writeValueAsString(
          sorted.convertValue(e.get("labels"), java.util.TreeMap.class)) + " "
          + e.get("value").asDouble());
    }
    List<String> expectedNormalized = new ArrayList<>();
    for (String line : expected) {
      JsonNode n = new ObjectMapper().readTree(line);
      expectedNormalized.add(n.get(0).asText() + " " + sorted.writeValueAsString(
          sorted.convertValue(n.get(1), java.util.TreeMap.class)) + " " + n.get(2).asDouble());
    }
    assertTrue(!expectedNormalized.isEmpty());
    assertEquals(expectedNormalized, actual);
  }

  @Test
  void mergeOutputPassesPromtoolAndHasPythonsSampleCount() throws Exception {
    Path promtool = Tools.require("promtool");
    Path dir = copyFixture("v0.25.0", "many_series");
    Result r = run("merge", dir.toString());
    assertEquals(0, r.code(), r.err());
    Path out = tmp.resolve("merged.prom");
    Files.writeString(out, r.out());
    Result lint = exec(List.of("/bin/sh", "-c", promtool + " check metrics < " + out));
    assertEquals(0, lint.code(), lint.out() + lint.err());
    long pythonSamples = Files.readAllLines(FIXTURES.resolve("v0.25.0/many_series.prom")).stream()
        .filter(l -> !l.startsWith("#") && !l.isBlank()).count();
    long ourSamples = r.out().lines()
        .filter(l -> !l.startsWith("#") && !l.startsWith("forkserve_metrics_")).count();
    assertEquals(pythonSamples, ourSamples);

    Result om = run("merge", dir.toString(), "--format", "openmetrics");
    assertEquals(0, om.code(), om.err());
    assertTrue(om.out().endsWith("# EOF\n"), "OpenMetrics output ends with # EOF");
  }

  @Test
  void badPathsAndUsageGiveOneLineAndTheirExitCodes() throws Exception {
    Result missing = run("merge", tmp.resolve("nope").toString());
    assertEquals(1, missing.code());
    assertEquals(1, missing.err().lines().count(), missing.err());
    assertTrue(missing.err().contains("no such directory"), missing.err());

    Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
    Result notDir = run("inspect", file.toString());
    assertEquals(1, notDir.code());
    assertTrue(notDir.err().contains("not a directory"), notDir.err());

    Result badFormat = run("merge", tmp.toString(), "--format", "yaml");
    assertEquals(2, badFormat.code());
    assertTrue(badFormat.err().startsWith("bin/metrics: --format must be text or openmetrics"));

    Result unknown = run("explode");
    assertEquals(2, unknown.code());

    Result dumpForeign = run("dump", file.toString());
    assertEquals(1, dumpForeign.code());
    assertTrue(dumpForeign.err().contains("not a metric file name"), dumpForeign.err());
  }

  @Test
  void serveAnswersScrapesGzippedOnceAndNeverTouchesTheDirectory() throws Exception {
    Path dir = copyFixture("v0.16.0", "histograms");
    List<String> before = listing(dir);
    int port = freePort();
    ServerProcess server = serve(dir, port, "FORKSERVE_JVM_OPTS"); // the script's own defaults
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      URI uri = URI.create("http://127.0.0.1:" + port + "/metrics");
      HttpResponse<byte[]> gz = client.send(HttpRequest.newBuilder(uri)
          .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, gz.statusCode());
      assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(""));
      String vary = gz.headers().firstValue("Vary").orElse("");
      assertTrue(vary.contains("Accept-Encoding") && vary.matches(".*\\bAccept\\b(?!-).*"),
          "Vary names Accept and Accept-Encoding like the front: " + vary);
      // bin/metrics exec's java, so the pid is the JVM's; serve runs long: full JIT, not C1 only
      String cmdline =
          Files.readString(Path.of("/proc", Long.toString(server.process.pid()), "cmdline"))
              .replace('\0', ' ');
      assertTrue(cmdline.contains("MetricsCli") && !cmdline.contains("TieredStopAtLevel"),
          cmdline);
      String body = new String(new GZIPInputStream(new java.io.ByteArrayInputStream(gz.body()))
          .readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(body.startsWith("# HELP"), "decompressed once gives text: " + body.substring(0, 20));

      HttpResponse<String> om = client.send(HttpRequest.newBuilder(uri).header("Accept",
          "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5").build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(om.headers().firstValue("Content-Type").orElse("")
          .startsWith("application/openmetrics-text"));

      HttpResponse<String> missing = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/other")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode());
      new ObjectMapper().readTree(missing.body()).get("error").asText();
    } finally {
      server.close();
    }
    assertEquals(before, listing(dir));
  }

  /**
   * A cleanup script deletes the served directory and makes it again: every scrape answers 200,
   * the server keeps no file of the old directory open (its metric files nor its archive), and
   * the new directory's samples are Python's.
   */
  @Test
  void serveOnADirectoryDeletedAndMadeAgain_answersEveryScrape_andReadsOnlyTheNewOne()
      throws Exception {
    Path dir = copyFixture("v0.16.0", "counters");
    long gone = Processes.NO_SUCH_PID;
    Files.move(dir.resolve("counter_15550.db"), dir.resolve("counter_" + gone + ".db"));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(gone); // the server's archive beside the live files
    }
    int port = freePort();
    ServerProcess server = serve(dir, port);
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest scrape = HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(60))
          .build();

      HttpResponse<String> first = client.send(scrape, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, first.statusCode(), first.body());
      assertEquals(List.of(), pythonDifferences("counters", first.body()));
      assertTrue(openIn(server.process.pid(), dir).contains(
          dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER).resolve("data.mdb").toString()),
          "the archive is open: " + openIn(server.process.pid(), dir));

      MultiprocDirectory.deleteTree(dir);
      HttpResponse<String> without = client.send(scrape, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, without.statusCode(), without.body());
      assertEquals(List.of(), samplesBut("forkserve_metrics_", without.body()));
      assertEquals(0.0, skippedNow(without.body()), without.body());
      assertEquals(List.of(), openIn(server.process.pid(), dir), "files of the deleted directory");

      Files.createDirectory(dir);
      try (Stream<Path> files = Files.list(FIXTURES.resolve("v0.16.0/histograms"))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.copy(f, dir.resolve(f.getFileName()));
        }
      }
      HttpResponse<String> again = client.send(scrape, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, again.statusCode(), again.body());
      assertEquals(List.of(), pythonDifferences("histograms", again.body()));
      assertEquals(0.0, skippedNow(again.body()), again.body());
      assertTrue(openIn(server.process.pid(), dir).stream().noneMatch(f -> f.endsWith("(deleted)")),
          "files of the deleted directory: " + openIn(server.process.pid(), dir));
    } finally {
      server.close();
    }
  }

  /** How ours differs from Python's exposition of the v0.16.0 fixture {@code scenario}. */
  private static List<String> pythonDifferences(String scenario, String ours) throws Exception {
    String python = Files.readString(FIXTURES.resolve("v0.16.0/" + scenario + ".prom"));
    String own = String.join("\n", ours.lines()
        .filter(l -> !l.contains("forkserve_metrics_")).toList()) + "\n";
    return ExpositionText.differences(ExpositionText.rows(python), ExpositionText.rows(own));
  }

  private static List<String> samplesBut(String prefix, String exposition) {
    return exposition.lines().filter(l -> !l.startsWith("#") && !l.startsWith(prefix)).toList();
  }

  private static double skippedNow(String exposition) {
    return exposition.lines().filter(l -> l.startsWith("forkserve_metrics_skipped_files"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** What process {@code pid} has open under {@code dir}, as /proc shows it. */
  private static List<String> openIn(long pid, Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(dir + "/")) {
            out.add(target);
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return out;
  }

  @Test
  void mergeAndInspectIncludeTheArchiveOfFoldedWorkers() throws Exception {
    Path dir = copyFixture("v0.16.0", "counters");
    long deadPid = Processes.NO_SUCH_PID;
    Files.move(dir.resolve("counter_15550.db"), dir.resolve("counter_" + deadPid + ".db"));
    Result before = run("merge", dir.toString());
    assertEquals(0, before.code(), before.err());

    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(deadPid);
    }
    assertTrue(Files.notExists(dir.resolve("counter_" + deadPid + ".db")), "fold deletes");

    Result after = run("merge", dir.toString());
    assertEquals(0, after.code(), after.err());
    assertEquals(sampleLines(before.out()), sampleLines(after.out()));

    Result inspect = run("inspect", dir.toString());
    assertEquals(0, inspect.code(), inspect.err());
    assertTrue(inspect.out().contains(" 1 folds, "), inspect.out());
    assertTrue(inspect.out().contains("fold 1: pid " + deadPid), inspect.out());
  }

  @Test
  void inspectAndMergeSurviveAFifoAndACraftedArchive() throws Exception {
    Path dir = copyFixture("v0.16.0", "counters");
    long gone = Processes.NO_SUCH_PID;
    Files.move(dir.resolve("counter_15550.db"), dir.resolve("counter_" + gone + ".db"));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(gone);
    }
    Path data = dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER).resolve("data.mdb");
    byte[] bytes = Files.readAllBytes(data);
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder());
    for (int meta : new int[] {0, b.getInt(40)}) { // LMDB meta pages: last, root, map size
      b.putLong(meta + 136, 1L << 20);
      b.putLong(meta + 128, 1L << 20);
      b.putLong(meta + 32, 1L << 40);
    }
    Files.write(data, bytes);
    Processes.run(new byte[0], "mkfifo", dir.resolve("counter_7.db").toString());

    Result inspect = run("inspect", dir.toString()); // a hang fails Processes' limit
    assertEquals(0, inspect.code(), inspect.err());
    assertTrue(inspect.out().matches("(?s).*counter_7\\.db.*skipped: unreadable.*"),
        inspect.out());
    assertTrue(inspect.out().matches("(?s).*archive: unreadable \\([^\n]*truncated.*"),
        inspect.out());
    Result merge = run("merge", dir.toString());
    assertEquals(0, merge.code(), merge.err());
    assertTrue(merge.err().lines().noneMatch(l -> l.contains("OutOfMemoryError")), merge.err());
  }

  private static List<String> sampleLines(String exposition) {
    return exposition.lines().filter(l -> !l.startsWith("#")).sorted().toList();
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }


  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * {@code bin/metrics serve DIR --port PORT} without the variables {@code unset}, returned once
   * its first line says it serves.
   */
  private static ServerProcess serve(Path dir, int port, String... unset) throws IOException {
    ServerProcess server =
        ServerProcess.launch(
                List.of(ROOT.resolve("bin/metrics").toString(), "serve", dir.toString(),
                    "--port", Integer.toString(port)))
            .unset(unset)
            .start();
    server.awaitWhileAlive(
        () -> !server.stdout.isEmpty(), Progress.stretched(Duration.ofSeconds(60)), "serving");
    assertTrue(server.stdout.get(0).startsWith("serving "), server.stdout::toString);
    return server;
  }
}
