package io.forkserve.metrics.archive;

import static io.forkserve.metrics.archive.ArchiveTesting.assertRowsClose;
import static io.forkserve.metrics.archive.ArchiveTesting.dbFiles;
import static io.forkserve.metrics.archive.ArchiveTesting.rows;
import static io.forkserve.metrics.archive.ArchiveTesting.scrapeText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.Stripes;
import io.forkserve.metrics.Summary;
import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.model.MetricType;
import io.forkserve.testsupport.Fixtures;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArchiveTest {
  /** IDs above Linux's largest pid_max (2^22), so no live process has them. */
  static final long PID_A = 9_000_001;
  private static final long PID_B = 9_000_002;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "v0.16.0, counters", "v0.16.0, gauges", "v0.16.0, histograms", "v0.16.0, many_series",
    "v0.25.0, counters", "v0.25.0, gauges", "v0.25.0, histograms", "v0.25.0, many_series"
  })
  void foldingEveryPythonPid_keepsTheMergeOfTheFilesPythonWould(String version, String scenario)
      throws Exception {
    Fixtures.copyDir(Fixtures.prometheusClient(version + "/" + scenario), dir);
    for (String name : dbFiles(dir)) { // mark_process_dead for every pid: live gauges go
      if (name.startsWith("gauge_live")) {
        Files.delete(dir.resolve(name));
      }
    }
    Map<String, Double> expected = rows(scrapeText(dir, List.of()));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      restoreLiveGauges(version + "/" + scenario);
      for (String name : dbFiles(dir)) {
        String id = name.substring(name.lastIndexOf('_') + 1, name.length() - 3);
        archive.foldId(id);
      }
      assertEquals(List.of(), dbFiles(dir), "every file folds: the fixtures are Python's own");
      assertRowsClose(expected, rows(scrapeText(dir, List.of(archive.newMergeSource()))));
    }
  }

  private void restoreLiveGauges(String fixture) throws IOException {
    for (String name : dbFiles(Fixtures.prometheusClient(fixture))) {
      if (name.startsWith("gauge_live")) {
        Files.copy(Fixtures.prometheusClient(fixture).resolve(name), dir.resolve(name));
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"v0.16.0/histograms", "v0.25.0/gauges", "v0.25.0/many_series"})
  void pythonOnlyDirectory_readOnlyArchiveMergesTheSameAndCreatesNothing(String fixture)
      throws Exception {
    Fixtures.copyDir(Fixtures.prometheusClient(fixture), dir);
    List<String> before = ArchiveTesting.listing(dir);
    String plain = scrapeText(dir, List.of());
    try (MetricsArchive readOnly = MetricsArchive.openReadOnly(dir)) {
      String withArchive = scrapeText(dir, List.of(readOnly.newMergeSource()));
      assertEquals(plain, withArchive);
      assertEquals(ArchiveContents.empty(), readOnly.contents());
      assertEquals(0, readOnly.checkStaleReaders());
      assertThrows(IllegalStateException.class, () -> readOnly.foldId("15565"));
    }
    assertEquals(before, ArchiveTesting.listing(dir));
    assertFalse(Files.exists(dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER)));
    try (MetricsArchive owned = MetricsArchive.open(dir)) { // an empty archive changes nothing
      assertEquals(plain, scrapeText(dir, List.of(owned.newMergeSource())));
    }
  }

  @Test
  void readOnlyView_readsAnArchiveAnotherOpenerFolds() throws Exception {
    writeWorkload(dir, PID_A, 3);
    String expected = scrapeText(dir, List.of());
    try (MetricsArchive owner = MetricsArchive.open(dir);
        MetricsArchive readOnly = MetricsArchive.openReadOnly(dir)) {
      owner.fold(PID_A);
      assertEquals(List.of(), dbFiles(dir));
      assertRowsClose(withoutLiveGauge(rows(expected)),
          rows(scrapeText(dir, List.of(readOnly.newMergeSource()))));
      assertEquals(1, readOnly.contents().folds().size());
    }
  }

  @Test
  void oneProcess_sharesOneEnvironmentPerArchive() throws Exception {
    writeWorkload(dir, PID_A, 3);
    writeWorkload(dir, PID_B, 3);
    Map<String, Double> expected = withoutLiveGauge(rows(scrapeText(dir, List.of())));
    MetricsArchive first = MetricsArchive.open(dir);
    try (MetricsArchive second = MetricsArchive.open(dir);
        MetricsArchive view = MetricsArchive.openReadOnly(dir)) {
      assertTrue(first.env() == second.env() && second.env() == view.env());
      first.fold(PID_A);
      first.close(); // the others keep the environment open
      second.fold(PID_B);
      assertRowsClose(expected, rows(scrapeText(dir, List.of(view.newMergeSource()))));
    }
    try (MetricsArchive view = MetricsArchive.openReadOnly(dir)) {
      view.contents();
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> MetricsArchive.open(dir));
      assertTrue(e.getMessage().contains("open read-only in this process"), e.getMessage());
    }
    try (MetricsArchive reopened = MetricsArchive.open(dir)) {
      assertEquals(2, reopened.contents().folds().size());
    }
  }

  @Test
  void faultAfterCommit_scrapesLeaveTheFilesOutAndARetriedFoldOnlyDeletes() throws Exception {
    writeWorkload(dir, PID_A, 5);
    List<String> files = dbFiles(dir);
    Map<String, Double> expected = rows(scrapeText(dir, List.of()));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.faultHook(stage -> {
        if (stage == MetricsArchive.Stage.AFTER_COMMIT) {
          throw new IllegalStateException("injected");
        }
      });
      assertThrows(IllegalStateException.class, () -> archive.fold(PID_A));
      assertEquals(withoutLive(files), dbFiles(dir));
      assertRowsClose(withoutLiveGauge(expected),
          rows(scrapeText(dir, List.of(archive.newMergeSource()))));

      archive.faultHook(stage -> {});
      FoldResult retried = archive.fold(PID_A);
      assertEquals(List.of(), retried.folded());
      assertEquals(files.stream().filter(n -> !n.startsWith("gauge_live")).toList(),
          retried.alreadyFolded());
      assertEquals(List.of(), dbFiles(dir));
      assertRowsClose(withoutLiveGauge(expected),
          rows(scrapeText(dir, List.of(archive.newMergeSource()))));
    }
  }

  @Test
  void faultBetweenDeletes_retriedFoldKeepsTotals() throws Exception {
    writeWorkload(dir, PID_A, 4);
    Map<String, Double> expected = rows(scrapeText(dir, List.of()));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.faultHook(stage -> {
        if (stage == MetricsArchive.Stage.AFTER_DELETE) {
          throw new IllegalStateException("injected");
        }
      });
      assertThrows(IllegalStateException.class, () -> archive.fold(PID_A));
      assertEquals(2, dbFiles(dir).size()); // the live gauge went first, then one folded file
      Map<String, Double> partial = rows(scrapeText(dir, List.of(archive.newMergeSource())));
      assertRowsClose(withoutLiveGauge(expected), partial);
      archive.faultHook(stage -> {});
      archive.fold(PID_A);
      archive.fold(PID_A); // idempotent
      assertEquals(List.of(), dbFiles(dir));
      assertRowsClose(withoutLiveGauge(expected),
          rows(scrapeText(dir, List.of(archive.newMergeSource()))));
    }
  }

  @Test
  void faultBeforeCommit_losesNothing() throws Exception {
    writeWorkload(dir, PID_A, 4);
    List<String> files = dbFiles(dir);
    Map<String, Double> expected = rows(scrapeText(dir, List.of()));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.faultHook(stage -> {
        if (stage == MetricsArchive.Stage.BEFORE_COMMIT) {
          throw new IllegalStateException("injected");
        }
      });
      assertThrows(IllegalStateException.class, () -> archive.fold(PID_A));
      assertEquals(withoutLive(files), dbFiles(dir)); // a dead process's live gauges go anyway
      assertEquals(List.of(), archive.contents().series());
      assertEquals(List.of(), archive.contents().folds());
      assertRowsClose(withoutLiveGauge(expected),
          rows(scrapeText(dir, List.of(archive.newMergeSource()))));
      archive.faultHook(stage -> {});
      assertEquals(3, archive.fold(PID_A).folded().size());
      assertRowsClose(withoutLiveGauge(expected),
          rows(scrapeText(dir, List.of(archive.newMergeSource()))));
    }
  }

  @Test
  void foldingFractionalCounters_neverLowersTheTotal() throws Exception {
    // Summed naively, the scrape adds 0.1 + 0.2 + 0.15 (files, then archive) but after the folds
    // 0.2 + (0.15 + 0.1): 0.45000000000000007 before, 0.45 after, one ulp backwards.
    long[] pids = {PID_A, PID_B, PID_B + 1};
    double[] increments = {0.1, 0.2, 0.15};
    for (int i = 0; i < pids.length; i++) {
      try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(pids[i]).open()) {
        Counter.builder("work").help("W.").register(r).inc(increments[i]);
      }
    }
    double exact = new BigDecimal(0.1).add(new BigDecimal(0.2)).add(new BigDecimal(0.15))
        .doubleValue();
    assertEquals(exact, rows(scrapeText(dir, List.of())).get("work_total"));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      for (long pid : new long[] {pids[2], pids[0], pids[1]}) {
        archive.fold(pid);
        assertEquals(exact, rows(scrapeText(dir, List.of(archive.newMergeSource())))
            .get("work_total"), "after folding " + pid);
      }
    }
  }

  @Test
  void fold_takesTheStripeFilesOfThePidToo() throws Exception {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID_A).open()) {
      Histogram.Child h = Histogram.builder("lat").help("L.").labelNames("r").buckets(1)
          .register(r).labels("a");
      Counter.Child c = Counter.builder("jobs").help("J.").labelNames("r").register(r)
          .labels("a");
      h.observe(0.5);
      c.inc();
      Stripes.add(h, 1, 0, 2.0);
      Stripes.add(h, 1, 2, 1.0);
      Stripes.add(c, 3, 0, 5.0);
    }
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID_B).open()) {
      Counter.builder("jobs").help("J.").labelNames("r").register(r).labels("a").inc(7);
    }
    Map<String, Double> expected = rows(scrapeText(dir, List.of()));
    assertEquals(13.0, expected.get("jobs_total{r=\"a\"}"));
    assertEquals(2.5, expected.get("lat_sum{r=\"a\"}"));
    assertEquals(2.0, expected.get("lat_count{r=\"a\"}"));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      FoldResult a = archive.fold(PID_A);
      assertEquals(List.of("counter_" + PID_A + ".db", "counter_" + PID_A + "s3.db",
          "histogram_" + PID_A + ".db", "histogram_" + PID_A + "s1.db"), a.folded());
      assertEquals(List.of("counter_" + PID_B + ".db"), dbFiles(dir));
      assertRowsClose(expected, rows(scrapeText(dir, List.of(archive.newMergeSource()))));
    }
  }

  @Test
  void gaugeModes_foldByTheirRule_liveGaugesAreOnlyDeleted() throws Exception {
    double[] values = {7, 3};
    double[] times = {2000, 1000};
    long[] pids = {PID_A, PID_B};
    for (int i = 0; i < 2; i++) {
      long t = (long) times[i];
      try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(pids[i])
          .clock(Clock.fixed(Instant.ofEpochSecond(t), ZoneOffset.UTC)).open()) {
        for (GaugeMode mode : GaugeMode.values()) {
          Gauge.builder("g_" + mode.fileToken()).help("G.").mode(mode).register(r).set(values[i]);
        }
      }
    }
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(PID_A);
      FoldResult b = archive.fold(PID_B);
      assertEquals(5, b.folded().size());
      assertEquals(List.of(), dbFiles(dir));
      Map<String, Double> archived = new HashMap<>();
      for (ArchiveContents.Series s : archive.contents().series()) {
        String name = EntryKey.parse(s.key(), s.type()).metricName();
        archived.put(name + "|" + s.pid(), s.value());
        assertEquals(MetricType.GAUGE, s.type());
        assertFalse(s.mode().isLive());
      }
      assertEquals(Map.of(
          "g_all|" + PID_A, 7.0, "g_all|" + PID_B, 3.0, "g_min|", 3.0, "g_max|", 7.0,
          "g_sum|", 10.0, "g_mostrecent|", 7.0), archived);
      Map<String, Double> scraped = rows(scrapeText(dir, List.of(archive.newMergeSource())));
      assertEquals(Map.of(
          "g_all{pid=\"" + PID_A + "\"}", 7.0, "g_all{pid=\"" + PID_B + "\"}", 3.0,
          "g_min", 3.0, "g_max", 7.0, "g_sum", 10.0, "g_mostrecent", 7.0), scraped);
    }
  }

  @Test
  void mapFull_growsTheMapAndRetries() throws Exception {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID_A).open()) {
      Counter c = Counter.builder("many").help("Many series.").labelNames("i").register(r);
      for (int i = 0; i < 3000; i++) {
        c.labels("series-" + i).inc(i);
      }
    }
    try (MetricsArchive archive = MetricsArchive.open(dir, Clock.systemUTC(), 64 << 10)) {
      long before = archive.contents().mapSizeBytes();
      archive.fold(PID_A);
      ArchiveContents contents = archive.contents();
      assertEquals(3000, contents.series().size());
      assertTrue(contents.mapSizeBytes() > before, contents.mapSizeBytes() + " <= " + before);
      double sum = contents.series().stream().mapToDouble(ArchiveContents.Series::value).sum();
      assertEquals(2999.0 * 3000 / 2, sum);
    }
  }

  @Test
  void aNewFileUnderAFoldedNameIsCounted() throws Exception {
    writeWorkload(dir, PID_A, 2);
    Map<String, Double> first = rows(scrapeText(dir, List.of()));
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      FileTime folded = Files.getLastModifiedTime(dir.resolve("counter_" + PID_A + ".db"));
      archive.fold(PID_A);
      awaitFileClockPast(folded);
      writeWorkload(dir, PID_A, 2); // same name, and quite likely the same inode
      Map<String, Double> both = rows(scrapeText(dir, List.of(archive.newMergeSource())));
      assertEquals(2 * first.get("jobs_total{route=\"r0\"}"), both.get("jobs_total{route=\"r0\"}"));
      archive.fold(PID_A);
      assertEquals(both.get("jobs_total{route=\"r0\"}"),
          rows(scrapeText(dir, List.of(archive.newMergeSource()))).get("jobs_total{route=\"r0\"}"));
    }
  }

  private static Map<String, Double> withoutLiveGauge(Map<String, Double> rows) {
    Map<String, Double> out = new java.util.TreeMap<>(rows);
    out.keySet().removeIf(k -> k.startsWith("inflight"));
    return out;
  }

  /** Writes a small fixed workload as process {@code pid}: 3 files plus a live gauge. */
  @Test
  void symlinkedArchiveFolder_isRefusedNotOpenedOutsideTheDirectory(@TempDir Path elsewhere)
      throws IOException {
    Files.createSymbolicLink(dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER), elsewhere);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> MetricsArchive.open(dir));
    assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
    try (var s = Files.list(elsewhere)) {
      assertEquals(0, s.count());
    }
  }

  private static List<String> withoutLive(List<String> files) {
    return files.stream().filter(n -> !n.startsWith("gauge_live")).toList();
  }

  /** A counter, a histogram, a summary and a live gauge written by {@code pid} into {@code dir}. */
  static void writeWorkload(Path dir, long pid, int n) {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(pid).open()) {
      Counter jobs = Counter.builder("jobs").help("Jobs.").labelNames("route").register(r);
      Histogram latency = Histogram.builder("latency_seconds").help("Latency.")
          .labelNames("route").buckets(0.1, 0.5, 1).register(r);
      Summary size = Summary.builder("payload_bytes").help("Payload.").register(r);
      Gauge inflight = Gauge.builder("inflight").help("In flight.").mode(GaugeMode.LIVESUM)
          .register(r);
      for (int k = 0; k < n; k++) {
        jobs.labels("r" + k % 2).inc(k + 1);
        latency.labels("r" + k % 2).observe(k * 0.3);
        size.observe(k * 10);
        inflight.set(k);
      }
    }
  }

  /** Waits until a file written now gets an mtime after {@code t} (file clocks are coarse). */
  private void awaitFileClockPast(FileTime t) throws IOException {
    Path probe = dir.resolve("probe.tmp");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    do {
      Files.writeString(probe, "x");
    } while (Files.getLastModifiedTime(probe).compareTo(t) <= 0 && System.nanoTime() < deadline);
    Files.delete(probe);
  }
}
