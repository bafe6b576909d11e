package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.Exemplar;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.testsupport.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exemplars written by two processes' registries, merged by newest, shown in OpenMetrics. */
class ExemplarsTest {
  @TempDir Path dir;

  /**
   * Two processes write exemplars; the lower pid's is the newer for {@code jobs_total}, the
   * higher pid's for {@code lat_seconds_bucket{le="0.1"}}, so that neither "first side file read
   * wins" nor "last read wins" gives both.
   */
  static void writeTwoProcesses(Path dir) {
    MutableClock clockA = new MutableClock();
    MutableClock clockB = new MutableClock();
    clockA.setUnixSeconds(1700000000);
    clockB.setUnixSeconds(1700000000);
    try (MetricsRegistry a = MetricsRegistry.builder(dir).pid(301).clock(clockA).open();
        MetricsRegistry b = MetricsRegistry.builder(dir).pid(302).clock(clockB).open()) {
      for (MetricsRegistry r : new MetricsRegistry[] {a, b}) {
        boolean first = r == a;
        MutableClock clock = first ? clockA : clockB;
        Histogram h = Histogram.builder("lat_seconds").help("Latency.").buckets(0.1, 1)
            .labelNames("route").register(r);
        Counter c = Counter.builder("jobs").help("Jobs.").register(r);
        String trace =
            first ? "0af7651916cd43dd8448eb211c80319c" : "4bf92f3577b34da6a3ce929d0e0e4736";
        String span = first ? "b7ad6b7169203331" : "00f067aa0ba902b7";
        ExemplarLabels ex = ExemplarLabels.ofTrace(trace, span);
        clock.setUnixSeconds(first ? 1700000000.5 : 1700000001.25);
        h.labels("/p").observe(0.05, ex);
        h.labels("/p").observe(0.5, first ? ex : null);
        clock.setUnixSeconds(first ? 1700000002.5 : 1700000001.75);
        c.inc(2, ex);
      }
    }
  }

  @Test
  void openMetricsShowsTheNewestExemplarOfEachSample() throws Exception {
    writeTwoProcesses(dir);
    assertEquals("""
        # HELP jobs Jobs.
        # TYPE jobs counter
        jobs_total 4.0 # {span_id="b7ad6b7169203331",trace_id="0af7651916cd43dd8448eb211c80319c"} 2.0 1700000002.5
        # HELP lat_seconds Latency.
        # TYPE lat_seconds histogram
        lat_seconds_bucket{le="0.1",route="/p"} 2.0 # {span_id="00f067aa0ba902b7",trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.05 1700000001.25
        lat_seconds_bucket{le="1.0",route="/p"} 4.0 # {span_id="b7ad6b7169203331",trace_id="0af7651916cd43dd8448eb211c80319c"} 0.5 1700000000.5
        lat_seconds_bucket{le="+Inf",route="/p"} 4.0
        lat_seconds_count{route="/p"} 4.0
        lat_seconds_sum{route="/p"} 1.1
        # EOF
        """, InfoStateSetTest.text(InfoStateSetTest.scrape(dir), ExpositionFormat.OPENMETRICS));
  }

  @Test
  void textFormatNeverShowsExemplars() throws Exception {
    writeTwoProcesses(dir);
    String text = InfoStateSetTest.text(InfoStateSetTest.scrape(dir), ExpositionFormat.TEXT);
    assertTrue(text.contains("lat_seconds_bucket{le=\"0.1\",route=\"/p\"} 2.0\n"), text);
    assertTrue(!text.contains("#  {") && !text.contains("trace_id"), text);
  }

  @Test
  void sideFilesAreNotDbFiles() {
    writeTwoProcesses(dir);
    assertTrue(Files.isRegularFile(dir.resolve("exemplars_301.ex")));
    assertEquals(301, MetricFileName.exemplarsPid("exemplars_301.ex"));
    assertEquals(null, MetricFileName.parse("exemplars_301.ex"));
    assertEquals(-1, MetricFileName.exemplarsPid("exemplars_0301.ex"));
    assertEquals(-1, MetricFileName.exemplarsPid("exemplars_301.db"));
  }

  @Test
  void aBadSideFileIsLeftOutAndTheRestServed() throws Exception {
    writeTwoProcesses(dir);
    Files.write(dir.resolve("exemplars_303.ex"), new byte[] {(byte) 0xff, 1, 2, 3, 4, 5, 6, 7, 8});
    Files.write(dir.resolve("exemplars_304.ex"), new byte[0]);
    byte[] truncated = Files.readAllBytes(dir.resolve("exemplars_302.ex"));
    Files.write(dir.resolve("exemplars_305.ex"), Arrays.copyOf(truncated, 100));
    String om = InfoStateSetTest.text(InfoStateSetTest.scrape(dir), ExpositionFormat.OPENMETRICS);
    assertTrue(om.contains("jobs_total 4.0 # {span_id=\"b7ad6b7169203331\""), om);
  }

  @Test
  void wipeAndProcessDeletionRemoveSideFiles() throws Exception {
    writeTwoProcesses(dir);
    Files.writeString(dir.resolve("exemplars_notes.ex"), "kept: not a writer name");
    try (MultiprocDirectory d = MultiprocDirectory.lock(dir)) {
      d.deleteProcessFiles(301);
      assertFalse(Files.exists(dir.resolve("exemplars_301.ex")));
      assertTrue(Files.exists(dir.resolve("exemplars_302.ex")));
      d.wipe();
      assertFalse(Files.exists(dir.resolve("exemplars_302.ex")));
      assertTrue(Files.exists(dir.resolve("exemplars_notes.ex")));
    }
  }

  /** A scrape racing a writer never sees one exemplar's labels with another's value. */
  @Test
  void scrapesRacingAWriterSeeWholeExemplars() throws Exception {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(401).open()) {
      Counter c = Counter.builder("raced").register(r);
      ExemplarLabels[] labels = new ExemplarLabels[8];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = ExemplarLabels.of("n", Integer.toString(i), "pad", "x".repeat(i * 10));
      }
      c.inc(0, labels[0]);
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer = new Thread(() -> {
        for (int i = 0; !stop.get(); i = (i + 1) % labels.length) {
          c.inc(i, labels[i]);
        }
      });
      writer.start();
      try {
        try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
          for (int k = 0; k < 300; k++) {
            for (MetricFamilySnapshot f : scraper.scrape().families()) {
              if (!f.name().equals("raced")) {
                continue;
              }
              Exemplar e = f.samples().get(0).exemplar();
              if (e != null) {
                int n = Integer.parseInt(e.labels().get("n"));
                assertEquals(n, (int) e.value(), e.toString());
                assertEquals("x".repeat(n * 10), e.labels().get("pad"), e.toString());
              }
            }
          }
        }
      } finally {
        stop.set(true);
        writer.join(10_000);
      }
    }
  }

  @Test
  void labelsAreCappedAt128Characters() {
    String ok = "é".repeat(128 - "trace_id".length());
    ExemplarLabels.of("trace_id", ok);
    assertThrows(IllegalArgumentException.class, () -> ExemplarLabels.of("trace_id", ok + "x"));
    assertThrows(IllegalArgumentException.class, () -> ExemplarLabels.of("a"));
    assertThrows(IllegalArgumentException.class, () -> ExemplarLabels.of("1a", "x"));
    assertThrows(IllegalArgumentException.class, () -> ExemplarLabels.of("a", "x", "a", "y"));
  }
}
