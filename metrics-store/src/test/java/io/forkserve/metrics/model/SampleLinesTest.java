package io.forkserve.metrics.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A family made of lines checks what one made of samples does, and reads back the same. */
class SampleLinesTest {
  private static final Labels R = Labels.of(new String[] {"r"}, new String[] {"/"});
  private static final Labels Q = Labels.of(new String[] {"r"}, new String[] {"\"q\"\n"});

  /** h's lines for groups r and q: each 1.0 and +Inf buckets, _count, _sum. */
  private static SampleLines.Table histogram() {
    return SampleLines.Table.of("h", MetricType.HISTOGRAM,
        List.of("h_bucket", "h_bucket", "h_count", "h_sum",
            "h_bucket", "h_bucket", "h_count", "h_sum"),
        List.of(R.with("le", "1.0"), R.with("le", "+Inf"), R, R,
            Q.with("le", "1.0"), Q.with("le", "+Inf"), Q, Q));
  }

  @Test
  void aTableRefusesLinesThatDoNotBelongToItsFamily() {
    assertThrows(IllegalArgumentException.class, () -> SampleLines.Table.of("jobs",
        MetricType.COUNTER, List.of("jobs"), List.of(Labels.EMPTY)));
    assertThrows(IllegalArgumentException.class, () -> SampleLines.Table.of("h",
        MetricType.HISTOGRAM, List.of("h_bucket", "h_count"), List.of(R.with("le", "1.0"), R)));
    assertThrows(IllegalArgumentException.class, () -> SampleLines.Table.of("1h",
        MetricType.GAUGE, List.of("1h"), List.of(R)));
    assertThrows(IllegalArgumentException.class, () -> SampleLines.Table.of("s",
        MetricType.STATESET, List.of("s"), List.of(R)));
  }

  @Test
  void aSnapshotRefusesATableOfAnotherFamily() {
    SampleLines lines = new SampleLines(histogram(), new int[0], new double[0], 0);
    assertThrows(IllegalArgumentException.class,
        () -> new MetricFamilySnapshot("g", MetricType.HISTOGRAM, "", lines));
    assertThrows(IllegalArgumentException.class,
        () -> new MetricFamilySnapshot("h", MetricType.SUMMARY, "", lines));
  }

  @Test
  void linesOutsideTheTableAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new SampleLines(histogram(), new int[] {8}, new double[] {1}, 1));
    assertThrows(IllegalArgumentException.class,
        () -> new SampleLines(histogram(), new int[] {0}, new double[] {1}, 2));
  }

  @Test
  void bucketsMustEndInInfEqualToTheCountAfterThem() {
    SampleLines.Table t = histogram();
    assertThrows(IllegalArgumentException.class, () -> family(t, new int[] {0, 2, 3},
        new double[] {1, 1, 0.5}));
    assertThrows(IllegalArgumentException.class, () -> family(t, new int[] {0, 1, 2, 3},
        new double[] {1, 2, 3, 0.5}));
    assertThrows(IllegalArgumentException.class, () -> family(t, new int[] {0},
        new double[] {1}));
    MetricFamilySnapshot ok = family(t, new int[] {0, 1, 2, 3, 6, 7},
        new double[] {1, 2, 2, 0.5, 0, 0});
    assertEquals(6, ok.sampleCount());
    assertEquals(List.of(new Sample("h_bucket", R.with("le", "1.0"), 1),
        new Sample("h_bucket", R.with("le", "+Inf"), 2), new Sample("h_count", R, 2),
        new Sample("h_sum", R, 0.5), new Sample("h_count", Q, 0), new Sample("h_sum", Q, 0)),
        ok.samples());
    assertTrue(ok.toString().contains("6 samples"));
  }

  @Test
  void theTableHoldsEachLinesLabelsAsTheExpositionWritesThem() {
    SampleLines.Table t = histogram();
    for (int line = 0; line < t.size(); line++) {
      String labels = new String(t.labelUtf8(), t.labelStart(line),
          t.labelEnd(line) - t.labelStart(line), java.nio.charset.StandardCharsets.UTF_8);
      assertEquals(List.of(R.with("le", "1.0"), R.with("le", "+Inf"), R, R,
          Q.with("le", "1.0"), Q.with("le", "+Inf"), Q, Q).get(line).exposition(), labels);
    }
    assertEquals("{le=\"+Inf\",r=\"\\\"q\\\"\\n\"}", Q.with("le", "+Inf").exposition());
  }

  private static MetricFamilySnapshot family(SampleLines.Table t, int[] lines, double[] values) {
    return new MetricFamilySnapshot("h", MetricType.HISTOGRAM, "",
        new SampleLines(t, lines, values, lines.length));
  }
}
