package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.model.MetricType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** File names and keys as prometheus_client writes them, and what is refused. */
class EntryKeyAndNameTest {
  @Test
  void stripeFileNames_nameTheirProcess() {
    MetricFileName h = MetricFileName.parse("histogram_1234s2.db");
    assertEquals(MetricType.HISTOGRAM, h.type());
    assertEquals("1234s2", h.id());
    assertEquals("1234", h.processId());
    assertEquals("1234", MetricFileName.parse("counter_1234.db").processId());
    assertEquals("abc", MetricFileName.parse("summary_abc.db").processId());
    assertEquals("1234s0", MetricFileName.parse("counter_1234s0.db").processId());
    assertEquals("1234s", MetricFileName.parse("counter_1234s.db").processId());
    assertEquals("7s1", MetricFileName.parse("gauge_all_7s1.db").processId());
    assertEquals("histogram_1234s3.db",
        MetricFileName.format(MetricType.HISTOGRAM, null, MetricFileName.stripeId(1234, 3)));
  }

  @Test
  void metricFileNames() {
    MetricFileName g = MetricFileName.parse("gauge_livemostrecent_123.db");
    assertEquals(MetricType.GAUGE, g.type());
    assertEquals("livemostrecent", g.mode());
    assertEquals(MergeRule.MOSTRECENT, g.rule());
    assertTrue(g.isLive());
    assertEquals("123", g.id());
    MetricFileName c = MetricFileName.parse("counter_abc.db");
    assertEquals(MetricType.COUNTER, c.type());
    assertNull(c.mode());
    assertEquals(MergeRule.SUM, c.rule());
    assertEquals("histogram_9.db", MetricFileName.format(MetricType.HISTOGRAM, null, "9"));
    assertEquals("gauge_sum_9.db", MetricFileName.format(MetricType.GAUGE, "sum", "9"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"foo.db", "counter.db", "counter_.db", "counter_1_2.db",
      "gauge_1.db", "gauge_bogus_1.db", "gauge_sum_.db", "Counter_1.db", "counter_1.db.bak",
      "summary_1_2_3.db", "histogram_1"})
  void notMetricFileNames(String name) {
    assertNull(MetricFileName.parse(name));
  }

  @Test
  void keysWithAndWithoutHelp() {
    EntryKey k = EntryKey.parse(
        "[\"jobs\", \"jobs_total\", {\"a\": \"\\u00e9\\\"\", \"b\": \"x\"}, \"Jobs \\\\ done.\"]",
        MetricType.COUNTER);
    assertEquals("jobs", k.metricName());
    assertEquals("jobs_total", k.sampleName());
    assertEquals("é\"", k.labels().get("a"));
    assertEquals("Jobs \\ done.", k.help());
    EntryKey old = EntryKey.parse("[\"g\", \"g\", {}]", MetricType.GAUGE);
    assertEquals(EntryKey.DEFAULT_HELP, old.help());
  }

  @Test
  void bucketBoundsAreReadAsPythonsFloatReadsThem() {
    assertEquals(Double.POSITIVE_INFINITY, EntryKey.parseBound("+Inf"));
    assertEquals(Double.POSITIVE_INFINITY, EntryKey.parseBound("inf"));
    assertEquals(Double.NEGATIVE_INFINITY, EntryKey.parseBound("-Inf"));
    assertEquals(1.0, EntryKey.parseBound("1"));
    assertEquals(1000.0, EntryKey.parseBound("1e3"));
    assertEquals(0.0, EntryKey.parseBound("-0.0"));
    assertEquals(0.25, EntryKey.parseBound(" 0.25 "));
    assertThrows(IllegalArgumentException.class, () -> EntryKey.parseBound("NaN"));
    assertThrows(IllegalArgumentException.class, () -> EntryKey.parseBound("1d"));
    assertThrows(IllegalArgumentException.class, () -> EntryKey.parseBound("abc"));
    EntryKey b = EntryKey.parse("[\"h\", \"h_bucket\", {\"le\": \"0.5\"}, \"H.\"]",
        MetricType.HISTOGRAM);
    assertEquals(0.5, b.bucketBound());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "[\"jobs\", \"jobs\", {}, \"h\"]", // a counter sample must end in _total
      "[\"jobs\", \"jobs_total\", {\"a\": 1}, \"h\"]", // label values are strings
      "[\"jobs\", \"jobs_total\", {}, \"h\"] x", // trailing text
      "[\"jobs\", \"jobs_total\", {}, \"\\u12G4\"]", // bad escape
      "[\"jobs\", \"jobs_total\", {\"a-b\": \"1\"}, \"h\"]", // bad label name
      "[\"1jobs\", \"1jobs_total\", {}, \"h\"]", // bad metric name
      "[\"jobs\", \"jobs_total\", {\"a\": \"1\", \"a\": \"2\"}, \"h\"]", // duplicate label
      "[\"jobs\", \"jobs_total\" {}, \"h\"]", // missing comma
      "[\"jobs\", \"jobs_total\", {}, \"h\"", // unterminated list
      "[\"jobs\", \"jobs_total\", {}, \"h]"}) // unterminated string
  void badCounterKeys(String key) {
    assertThrows(IllegalArgumentException.class, () -> EntryKey.parse(key, MetricType.COUNTER));
  }

  @Test
  void histogramEntriesMustBeBucketsSumsOrCounts() {
    assertThrows(IllegalArgumentException.class, () -> EntryKey.parse(
        "[\"h\", \"h_bucket\", {\"le\": \"x\"}, \"H.\"]", MetricType.HISTOGRAM));
    assertThrows(IllegalArgumentException.class, () -> EntryKey.parse(
        "[\"h\", \"h_other\", {}, \"H.\"]", MetricType.HISTOGRAM));
    assertEquals("h_sum", EntryKey.parse("[\"h\", \"h_sum\", {}, \"H.\"]",
        MetricType.HISTOGRAM).sampleName());
  }

  @Test
  void writerNames_areExactlyWhatPythonAndOurStripesProduce() {
    for (String name :
        List.of(
            "counter_1.db",
            "histogram_4194304.db",
            "summary_77.db",
            "counter_12s1.db",
            "histogram_12s10.db",
            "gauge_all_5.db",
            "gauge_livemostrecent_123.db",
            "gauge_livesum_9.db")) {
      assertNotNull(MetricFileName.parseWriterName(name), name);
    }
    for (String name :
        List.of(
            "counter_notes.db",
            "gauge_my_settings.db",
            "gauge_123.db",
            "counter_12_x.db",
            "counter_012.db",
            "counter_12s0.db",
            "gauge_all_5s1.db",
            "counter_.db",
            "notes.db",
            "forkserve.lock")) {
      assertNull(MetricFileName.parseWriterName(name), name);
    }
    assertTrue(MetricFileName.parse("counter_12s3.db").isWrittenBy(12));
    assertFalse(MetricFileName.parse("counter_112.db").isWrittenBy(12));
  }

  @Test
  void everyGaugeMode_namesAFileWithItsRuleAndLiveness() {
    for (GaugeMode mode : GaugeMode.values()) {
      MetricFileName name = MetricFileName.parse("gauge_" + mode.fileToken() + "_1.db");
      assertEquals(mode.mergeRule().fileToken(), name.rule().token(), mode.toString());
      assertEquals(mode.isLive(), name.isLive(), mode.toString());
    }
    assertEquals(10, GaugeMode.values().length);
  }
}
