package io.forkserve.metrics.archive;

import static io.forkserve.metrics.archive.ArchiveTesting.assertRowsClose;
import static io.forkserve.metrics.archive.ArchiveTesting.dbFiles;
import static io.forkserve.metrics.archive.ArchiveTesting.rows;
import static io.forkserve.metrics.archive.ArchiveTesting.scrapeText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.model.Labels;
import io.forkserve.testsupport.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real worker processes write and exit; their files are folded; the test counts on its own. */
class ArchiveFoldIT {
  private static final int ITERATIONS = 200;

  @TempDir Path dir;
  @TempDir Path logs;

  @Test
  void archiveHoldsTheSumOfWhatDeadProcessesWrote() throws Exception {
    Map<Integer, Long> pids = runWorkers(4);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      for (long pid : pids.values()) {
        FoldResult r = archive.fold(pid);
        assertEquals(5, r.folded().size(), r.toString()); // counter, histogram, summary, max, all
        assertEquals(6, r.deleted().size(), r.toString()); // and the live gauge
      }
      assertEquals(List.of(), dbFiles(dir));
      Map<String, Double> expected = Workload.expectedRows(pids, ITERATIONS);
      assertRowsClose(nonCumulative(expected), archivedRows(archive.contents()));
      assertRowsClose(expected, rows(scrapeText(dir, List.of(archive.newMergeSource()))));
      List<String> foldedPids = new ArrayList<>();
      archive.contents().folds().forEach(f -> foldedPids.add(f.pid()));
      assertEquals(pids.values().stream().map(String::valueOf).toList(), foldedPids);
    }
  }

  @Test
  void processHaltedBetweenCommitAndDelete_retriedFoldKeepsTotals() throws Exception {
    Map<Integer, Long> pids = runWorkers(2);
    long victim = pids.get(1);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(pids.get(0));
      Path log = logs.resolve("crash.log");
      Process crash = Processes.startJava(
          log, FoldCrashMain.class, dir.toString(), String.valueOf(victim));
      assertEquals(
          FoldCrashMain.HALTED,
          Processes.await(crash, log, Duration.ofSeconds(60)),
          Processes.read(log));
      assertEquals(5, dbFiles(dir).size()); // the live gauge went first; committed, rest kept
      Map<String, Double> expected = Workload.expectedRows(pids, ITERATIONS);
      assertRowsClose(expected, rows(scrapeText(dir, List.of(archive.newMergeSource()))));
      archive.checkStaleReaders();
      FoldResult retried = archive.fold(victim);
      assertEquals(List.of(), retried.folded());
      assertEquals(5, retried.alreadyFolded().size());
      assertEquals(List.of(), dbFiles(dir));
      assertRowsClose(expected, rows(scrapeText(dir, List.of(archive.newMergeSource()))));
    }
  }

  @Test
  void readerKilledMidScrape_itsSlotIsClearedByTheStaleReaderCheck() throws Exception {
    runWorkers(1);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      Path log = logs.resolve("reader.log");
      Process reader = Processes.startJava(log, ReaderHolderMain.class, dir.toString());
      Processes.awaitOutput(
          reader, log, out -> out.contains("reading"), Duration.ofSeconds(60), "reading");
      reader.destroyForcibly().waitFor();
      assertEquals(1, archive.checkStaleReaders());
      assertEquals(0, archive.checkStaleReaders());
    }
  }

  @Test
  void readOnlyView_followsAnArchiveReplacedByARestartedServer() throws Exception {
    Map<Integer, Long> first = runWorkers(1);
    try (MetricsArchive view = MetricsArchive.openReadOnly(dir)) {
      var scraper = new io.forkserve.metrics.merge.DirectoryScraper(dir,
          List.of(view.newMergeSource()));
      try (MetricsArchive archive = MetricsArchive.open(dir)) {
        archive.fold(first.get(0));
      }
      assertRowsClose(Workload.expectedRows(first, ITERATIONS),
          rows(ArchiveTesting.text(scraper.scrape())));
      try (var d = io.forkserve.metrics.directory.MultiprocDirectory.lock(dir)) {
        d.wipe(); // a restarted server
      }
      Map<Integer, Long> second = runWorkers(1);
      try (MetricsArchive archive = MetricsArchive.open(dir)) {
        archive.fold(second.get(0));
      }
      assertRowsClose(Workload.expectedRows(second, ITERATIONS),
          rows(ArchiveTesting.text(scraper.scrape())));
    }
  }

  /** Starts {@code n} workers at once and waits for all; returns their pids by worker index. */
  private Map<Integer, Long> runWorkers(int n) throws Exception {
    Map<Integer, Process> procs = new LinkedHashMap<>();
    for (int w = 0; w < n; w++) {
      procs.put(w, Processes.startJava(
          logs.resolve("w" + w + ".log"), WorkerMain.class, dir.toString(),
          String.valueOf(w), String.valueOf(ITERATIONS), "0"));
    }
    Map<Integer, Long> pids = new LinkedHashMap<>();
    for (Map.Entry<Integer, Process> e : procs.entrySet()) {
      Path log = logs.resolve("w" + e.getKey() + ".log");
      assertEquals(
          0, Processes.await(e.getValue(), log, Duration.ofSeconds(60)), Processes.read(log));
      pids.put(e.getKey(), e.getValue().pid());
    }
    return pids;
  }

  /** The archive's entries as rows: buckets stay per bucket, as files hold them. */
  private static Map<String, Double> archivedRows(ArchiveContents contents) {
    Map<String, Double> rows = new TreeMap<>();
    for (ArchiveContents.Series s : contents.series()) {
      EntryKey key = EntryKey.parse(s.key(), s.type());
      Labels labels = s.pid().isEmpty() ? key.labels() : key.labels().with("pid", s.pid());
      String sample = key.sampleName() + (labels.size() == 0 ? "" : labels.exposition());
      rows.put(ArchiveTesting.canonical(sample), s.value());
    }
    return rows;
  }

  /** Expected rows with cumulative buckets turned back into per-bucket counts, no _count. */
  private static Map<String, Double> nonCumulative(Map<String, Double> cumulative) {
    Map<String, Double> out = new TreeMap<>();
    for (Map.Entry<String, Double> e : cumulative.entrySet()) {
      String k = e.getKey();
      if (k.startsWith("latency_seconds_count")) {
        continue;
      }
      double v = e.getValue();
      for (int b = 1; b < Workload.LE.length && k.startsWith("latency_seconds_bucket"); b++) {
        if (k.contains("le=\"" + Workload.LE[b] + "\"")) {
          v -= cumulative.get(k.replace("le=\"" + Workload.LE[b] + "\"",
              "le=\"" + Workload.LE[b - 1] + "\""));
        }
      }
      out.put(k, v);
    }
    assertTrue(out.size() > 10);
    return out;
  }
}
