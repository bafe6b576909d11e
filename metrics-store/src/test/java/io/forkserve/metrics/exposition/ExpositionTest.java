package io.forkserve.metrics.exposition;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.MetricType;
import io.forkserve.metrics.model.Sample;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exact exposition text, written by hand from the text 0.0.4 and OpenMetrics 1.0 rules. */
class ExpositionTest {
  private static final Labels ROUTE = labels("r", "/");

  static Labels labels(String... nameValues) {
    String[] names = new String[nameValues.length / 2];
    String[] values = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = nameValues[2 * i];
      values[i] = nameValues[2 * i + 1];
    }
    return Labels.of(names, values);
  }

  static MetricSnapshots snapshots() {
    return new MetricSnapshots(List.of(
        new MetricFamilySnapshot("jobs", MetricType.COUNTER, "Jobs \\ done\nnow \"q\"", List.of(
            new Sample("jobs_total", labels("q", "a\\b\"c\nd"), 3),
            new Sample("jobs_total", labels("q", "é", "a", "1"), 1e-5))),
        new MetricFamilySnapshot("lat", MetricType.HISTOGRAM, "Latency.", List.of(
            new Sample("lat_bucket", ROUTE.with("le", "0.5"), 1),
            new Sample("lat_bucket", ROUTE.with("le", "1.0"), 3),
            new Sample("lat_bucket", ROUTE.with("le", "+Inf"), 4),
            new Sample("lat_count", ROUTE, 4),
            new Sample("lat_sum", ROUTE, 2.25))),
        new MetricFamilySnapshot("size", MetricType.SUMMARY, "Sizes.", List.of(
            new Sample("size_count", Labels.EMPTY, 2),
            new Sample("size_sum", Labels.EMPTY, 1e6))),
        new MetricFamilySnapshot("temp", MetricType.GAUGE, "Temperature.", List.of(
            new Sample("temp", Labels.EMPTY, -1.5),
            new Sample("temp", labels("room", "b"), Double.NaN),
            new Sample("temp", labels("room", "c"), Double.NEGATIVE_INFINITY)))));
  }

  @Test
  void text() throws Exception {
    assertEquals("""
        # HELP jobs_total Jobs \\\\ done\\nnow "q"
        # TYPE jobs_total counter
        jobs_total{q="a\\\\b\\"c\\nd"} 3.0
        jobs_total{a="1",q="é"} 1e-05
        # HELP lat Latency.
        # TYPE lat histogram
        lat_bucket{le="0.5",r="/"} 1.0
        lat_bucket{le="1.0",r="/"} 3.0
        lat_bucket{le="+Inf",r="/"} 4.0
        lat_count{r="/"} 4.0
        lat_sum{r="/"} 2.25
        # HELP size Sizes.
        # TYPE size summary
        size_count 2.0
        size_sum 1e+06
        # HELP temp Temperature.
        # TYPE temp gauge
        temp -1.5
        temp{room="b"} NaN
        temp{room="c"} -Inf
        """, write(snapshots(), ExpositionFormat.TEXT));
  }

  @Test
  void openMetrics() throws Exception {
    assertEquals("""
        # HELP jobs Jobs \\\\ done\\nnow \\"q\\"
        # TYPE jobs counter
        jobs_total{q="a\\\\b\\"c\\nd"} 3.0
        jobs_total{a="1",q="é"} 1e-05
        # HELP lat Latency.
        # TYPE lat histogram
        lat_bucket{le="0.5",r="/"} 1.0
        lat_bucket{le="1.0",r="/"} 3.0
        lat_bucket{le="+Inf",r="/"} 4.0
        lat_count{r="/"} 4.0
        lat_sum{r="/"} 2.25
        # HELP size Sizes.
        # TYPE size summary
        size_count 2.0
        size_sum 1e+06
        # HELP temp Temperature.
        # TYPE temp gauge
        temp -1.5
        temp{room="b"} NaN
        temp{room="c"} -Inf
        # EOF
        """, write(snapshots(), ExpositionFormat.OPENMETRICS));
  }

  @Test
  void familiesWithoutSamplesAndEmptyHelpWriteNoLines() throws Exception {
    MetricSnapshots s = new MetricSnapshots(List.of(
        new MetricFamilySnapshot("idle", MetricType.GAUGE, "Nothing.", List.of()),
        new MetricFamilySnapshot("up", MetricType.GAUGE, "", List.of(
            new Sample("up", Labels.EMPTY, 1)))));
    assertEquals("""
        # TYPE up gauge
        up 1.0
        """, write(s, ExpositionFormat.TEXT));
    assertEquals("""
        # TYPE up gauge
        up 1.0
        # EOF
        """, write(s, ExpositionFormat.OPENMETRICS));
  }

  @Test
  void nothingAtAll() throws Exception {
    MetricSnapshots none = new MetricSnapshots(List.of());
    assertEquals("", write(none, ExpositionFormat.TEXT));
    assertEquals("# EOF\n", write(none, ExpositionFormat.OPENMETRICS));
  }

  static String write(MetricSnapshots s, ExpositionFormat format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exposition.write(s, format, out);
    return out.toString(StandardCharsets.UTF_8);
  }
}
