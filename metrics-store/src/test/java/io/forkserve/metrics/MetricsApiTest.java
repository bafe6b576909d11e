package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.testsupport.MutableClock;
import io.forkserve.metrics.testsupport.PyFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class MetricsApiTest {
  private static final long PID = 4242;

  @TempDir Path dir;

  private MetricsRegistry registry(FormatVersion version) {
    return MetricsRegistry.builder(dir).pid(PID).formatVersion(version).open();
  }

  private List<PyFile.Entry> entries(String file, FormatVersion version) throws IOException {
    return PyFile.read(dir.resolve(file), version);
  }

  private static Map<String, Double> values(List<PyFile.Entry> entries) {
    return entries.stream().collect(Collectors.toMap(PyFile.Entry::key, PyFile.Entry::value));
  }

  private static void assertMessage(
      Class<? extends Throwable> type, String fragment, Executable call) {
    Throwable t = assertThrows(type, call);
    assertTrue(t.getMessage().contains(fragment), t.getMessage());
  }

  @Test
  void fromEnvironment_prefersMetricsDirThenPrometheusDir() {
    assertEquals(
        Path.of("/a"),
        MetricsRegistry.directoryFromEnvironment(
            Map.of("METRICS_MULTIPROC_DIR", "/a", "PROMETHEUS_MULTIPROC_DIR", "/b")));
    assertEquals(
        Path.of("/b"),
        MetricsRegistry.directoryFromEnvironment(Map.of("PROMETHEUS_MULTIPROC_DIR", "/b")));
    assertMessage(
        IllegalStateException.class,
        "neither METRICS_MULTIPROC_DIR nor PROMETHEUS_MULTIPROC_DIR is set",
        () -> MetricsRegistry.directoryFromEnvironment(Map.of("METRICS_MULTIPROC_DIR", " ")));
  }

  @Test
  void open_missingDirectory_saysSo() {
    assertMessage(
        IllegalStateException.class,
        "does not exist",
        () -> MetricsRegistry.open(dir.resolve("missing")));
  }

  @Test
  void registry_defaultsToThisPidAndV2() {
    try (MetricsRegistry r = MetricsRegistry.open(dir)) {
      assertEquals(ProcessHandle.current().pid(), r.pid());
      assertEquals(FormatVersion.V2, r.formatVersion());
      assertEquals(dir, r.directory());
    }
  }

  @Test
  void counter_dropsTotalFromTheFamilyAndWritesTheEntryAtRegistration() throws IOException {
    try (MetricsRegistry r = registry(FormatVersion.V2)) {
      Counter c = Counter.builder("jobs_total").help("Jobs.").register(r);
      assertEquals(
          List.of("[\"jobs\", \"jobs_total\", {}, \"Jobs.\"]"),
          entries("counter_4242.db", FormatVersion.V2).stream().map(PyFile.Entry::key).toList());
      c.inc();
      c.inc(2.5);
      assertEquals(3.5, entries("counter_4242.db", FormatVersion.V2).get(0).value());
      assertMessage(IllegalArgumentException.class, "only increase", () -> c.inc(-1));
      assertMessage(
          IllegalArgumentException.class,
          "already registered",
          () -> Counter.builder("jobs").register(r));
    }
  }

  @Test
  void labelledMetric_writesNothingUntilAChildIsCreated_andCachesChildren() throws IOException {
    try (MetricsRegistry r = registry(FormatVersion.V1)) {
      Counter c = Counter.builder("req").help("R.").labelNames("route", "code").register(r);
      assertFalse(Files.exists(dir.resolve("counter_4242.db")));
      Counter.Child a = c.labels("/a", "200");
      assertSame(a, c.labels("/a", "200"));
      a.inc(2);
      c.labels("/b", "500").inc();
      assertEquals(
          Map.of(
              "[\"req\", \"req_total\", {\"code\": \"200\", \"route\": \"/a\"}, \"R.\"]", 2.0,
              "[\"req\", \"req_total\", {\"code\": \"500\", \"route\": \"/b\"}, \"R.\"]", 1.0),
          values(entries("counter_4242.db", FormatVersion.V1)));
      assertEquals(2.0, a.get());
      assertMessage(IllegalStateException.class, "labels(", c::inc);
    }
  }

  @Test
  void labels_wrongCountNullOrOnUnlabelled_areRefused() {
    try (MetricsRegistry r = registry(FormatVersion.V2)) {
      Counter c = Counter.builder("req").labelNames("route").register(r);
      assertMessage(IllegalArgumentException.class, "got 2 label values", () -> c.labels("a", "b"));
      assertMessage(IllegalArgumentException.class, "is null", () -> c.labels((String) null));
      Gauge g = Gauge.builder("g").register(r);
      assertMessage(IllegalArgumentException.class, "no label names", () -> g.labels("x"));
    }
  }

  @Test
  void names_areValidatedLikePrometheus() {
    assertMessage(
        IllegalArgumentException.class,
        "invalid metric name '1abc'",
        () -> Counter.builder("1abc"));
    assertMessage(
        IllegalArgumentException.class, "invalid metric name 'a-b'", () -> Gauge.builder("a-b"));
    try (MetricsRegistry r = registry(FormatVersion.V2)) {
      assertMessage(
          IllegalArgumentException.class,
          "invalid label name 'a:b'",
          () -> Counter.builder("ok").labelNames("a:b").register(r));
      assertMessage(
          IllegalArgumentException.class,
          "reserved",
          () -> Counter.builder("ok").labelNames("__x").register(r));
      assertMessage(
          IllegalArgumentException.class,
          "reserved",
          () -> Histogram.builder("h").labelNames("le").register(r));
      assertMessage(
          IllegalArgumentException.class,
          "reserved",
          () -> Summary.builder("s").labelNames("quantile").register(r));
      assertMessage(
          IllegalArgumentException.class,
          "reserved",
          () -> Gauge.builder("g").labelNames("pid").register(r));
      assertMessage(
          IllegalArgumentException.class,
          "appears twice",
          () -> Gauge.builder("g").labelNames("a", "a").register(r));
      Gauge.builder("g_sum").mode(GaugeMode.SUM).labelNames("pid").register(r);
      Counter.builder("name:with_colons").register(r);
      assertMessage(
          IllegalArgumentException.class,
          "already registered",
          () -> Gauge.builder("name:with_colons_total").register(r));
    }
  }

  @Test
  void histogram_childWritesSumThenEveryBucket_andCountsAreNotCumulative() throws IOException {
    try (MetricsRegistry r = registry(FormatVersion.V2)) {
      Histogram h =
          Histogram.builder("lat").help("L.").labelNames("r").buckets(0.1, 1, 1e6).register(r);
      Histogram.Child c = h.labels("x");
      List<PyFile.Entry> created = entries("histogram_4242.db", FormatVersion.V2);
      assertEquals(
          List.of(
              "[\"lat\", \"lat_sum\", {\"r\": \"x\"}, \"L.\"]",
              "[\"lat\", \"lat_bucket\", {\"le\": \"0.1\", \"r\": \"x\"}, \"L.\"]",
              "[\"lat\", \"lat_bucket\", {\"le\": \"1.0\", \"r\": \"x\"}, \"L.\"]",
              "[\"lat\", \"lat_bucket\", {\"le\": \"1e+06\", \"r\": \"x\"}, \"L.\"]",
              "[\"lat\", \"lat_bucket\", {\"le\": \"+Inf\", \"r\": \"x\"}, \"L.\"]"),
          created.stream().map(PyFile.Entry::key).toList());
      c.observe(0.1);
      c.observe(0.5);
      c.observe(0.7);
      c.observe(5e6);
      List<Double> v =
          entries("histogram_4242.db", FormatVersion.V2).stream().map(PyFile.Entry::value).toList();
      assertEquals(List.of(0.1 + 0.5 + 0.7 + 5e6, 1.0, 2.0, 0.0, 1.0), v);
    }
  }

  @Test
  void histogram_defaultBucketsAndBadBuckets() throws IOException {
    try (MetricsRegistry r = registry(FormatVersion.V1)) {
      Histogram.builder("d").register(r).observe(0.3);
      List<PyFile.Entry> e = entries("histogram_4242.db", FormatVersion.V1);
      assertEquals(1 + Histogram.DEFAULT_BUCKETS.length + 1, e.size());
      assertTrue(e.get(e.size() - 1).key().contains("\"le\": \"+Inf\""));
      assertEquals(1.0, e.get(8).value(), e.get(8).key());
      assertTrue(e.get(8).key().contains("\"le\": \"0.5\""));
      assertMessage(
          IllegalArgumentException.class,
          "strictly increasing",
          () -> Histogram.builder("b1").buckets(1, 0.5).register(r));
      assertMessage(
          IllegalArgumentException.class,
          "strictly increasing",
          () -> Histogram.builder("b2").buckets(1, 1).register(r));
      assertMessage(
          IllegalArgumentException.class,
          "at least one finite",
          () -> Histogram.builder("b3").buckets(Double.POSITIVE_INFINITY).register(r));
    }
  }

  @Test
  void summary_writesCountThenSum() throws IOException {
    try (MetricsRegistry r = registry(FormatVersion.V2)) {
      Summary s = Summary.builder("size").help("S.").register(r);
      s.observe(3);
      s.observe(4.5);
      List<PyFile.Entry> e = entries("summary_4242.db", FormatVersion.V2);
      assertEquals("[\"size\", \"size_count\", {}, \"S.\"]", e.get(0).key());
      assertEquals(2.0, e.get(0).value());
      assertEquals("[\"size\", \"size_sum\", {}, \"S.\"]", e.get(1).key());
      assertEquals(7.5, e.get(1).value());
    }
  }

  @Test
  void gauge_everyModeHasItsOwnFile_mostRecentStoresTheTime() throws IOException {
    MutableClock clock = new MutableClock();
    clock.setUnixSeconds(1_700_000_000.25);
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(PID).clock(clock).open()) {
      for (GaugeMode mode : GaugeMode.values()) {
        Gauge g = Gauge.builder("g_" + mode.fileToken()).mode(mode).register(r);
        g.set(7);
        if (mode.mergeRule() != GaugeMode.MOSTRECENT) {
          g.inc(1);
          g.dec(0.5);
        } else {
          assertMessage(IllegalStateException.class, "mostrecent", () -> g.inc(1));
        }
      }
      for (GaugeMode mode : GaugeMode.values()) {
        List<PyFile.Entry> e = entries("gauge_" + mode.fileToken() + "_4242.db", FormatVersion.V2);
        boolean recent = mode.mergeRule() == GaugeMode.MOSTRECENT;
        assertEquals(1, e.size());
        assertEquals(recent ? 7.0 : 7.5, e.get(0).value(), mode.name());
        assertEquals(recent ? 1_700_000_000.25 : 0.0, e.get(0).timestamp(), mode.name());
      }
    }
  }

  @Test
  void gauge_mostRecentIsRefusedInFormatV1() {
    try (MetricsRegistry r = registry(FormatVersion.V1)) {
      assertMessage(
          IllegalStateException.class,
          "needs file format v2",
          () -> Gauge.builder("g").mode(GaugeMode.LIVEMOSTRECENT).register(r));
      Gauge.builder("g").mode(GaugeMode.LIVESUM).register(r).inc(1);
      assertTrue(Files.exists(dir.resolve("gauge_livesum_4242.db")));
    }
  }

  @Test
  void secondRegistryForTheSamePidAndDirectory_isRefusedUntilTheFirstCloses() {
    try (MetricsRegistry r = registry(FormatVersion.V2)) {
      assertEquals(PID, r.pid());
      assertMessage(IllegalStateException.class, "already open", () -> registry(FormatVersion.V2));
      MetricsRegistry.builder(dir).pid(PID + 1).open().close();
    }
    registry(FormatVersion.V1).close();
  }

  @Test
  void closedRegistry_refusesNewMetrics() {
    MetricsRegistry r = registry(FormatVersion.V2);
    r.close();
    assertMessage(IllegalStateException.class, "closed", () -> Counter.builder("c").register(r));
  }
}
