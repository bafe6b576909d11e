package io.forkserve.metrics.exposition;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.MetricType;
import io.forkserve.metrics.model.Sample;
import io.forkserve.metrics.model.SampleLines;
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
  void aFamilyOfLinesWritesAsOneOfSamples() throws Exception {
    Labels q = labels("r", "\"q\"\n");
    SampleLines.Table table = SampleLines.Table.of("h", MetricType.HISTOGRAM,
        List.of("h_bucket", "h_bucket", "h_count", "h_sum"),
        List.of(q.with("le", "0.5"), q.with("le", "+Inf"), q, q));
    MetricSnapshots s = new MetricSnapshots(List.of(new MetricFamilySnapshot("h",
        MetricType.HISTOGRAM, "Lat\\ency.", new SampleLines(table, new int[] {0, 1, 2, 3},
            new double[] {1, 3e6, 3e6, 0.25}, 4))));
    assertEquals("""
        # HELP h Lat\\\\ency.
        # TYPE h histogram
        h_bucket{le="0.5",r="\\"q\\"\\n"} 1.0
        h_bucket{le="+Inf",r="\\"q\\"\\n"} 3e+06
        h_count{r="\\"q\\"\\n"} 3e+06
        h_sum{r="\\"q\\"\\n"} 0.25
        """, write(s, ExpositionFormat.TEXT));
    MetricSnapshots asSamples = new MetricSnapshots(List.of(new MetricFamilySnapshot("h",
        MetricType.HISTOGRAM, "Lat\\ency.", s.families().get(0).samples())));
    assertEquals(write(asSamples, ExpositionFormat.OPENMETRICS),
        write(s, ExpositionFormat.OPENMETRICS));
  }

  @Test
  void linesAcrossPagesWriteAsSamplesDo() throws Exception {
    int n = 5000; // about 200 KB: lines cross the sink's 64 KB pages
    List<String> names = new java.util.ArrayList<>();
    List<Labels> lineLabels = new java.util.ArrayList<>();
    int[] lines = new int[n];
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      names.add("g");
      lineLabels.add(labels("id", "series-" + i + "-é"));
      lines[i] = i;
      values[i] = i * 1.5e5 + 0.1;
    }
    MetricFamilySnapshot f = new MetricFamilySnapshot("g", MetricType.GAUGE, "G.",
        new SampleLines(SampleLines.Table.of("g", MetricType.GAUGE, names, lineLabels), lines,
            values, n));
    MetricSnapshots asSamples = new MetricSnapshots(List.of(
        new MetricFamilySnapshot("g", MetricType.GAUGE, "G.", f.samples())));
    String text = write(new MetricSnapshots(List.of(f)), ExpositionFormat.TEXT);
    assertEquals(write(asSamples, ExpositionFormat.TEXT), text);
    assertEquals(n + 2, text.split("\n").length);
    assertEquals("g{id=\"series-4999-é\"} 7.498500001e+08", text.split("\n")[n + 1]);
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
