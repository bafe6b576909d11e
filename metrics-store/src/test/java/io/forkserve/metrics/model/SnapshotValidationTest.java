package io.forkserve.metrics.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshots refuse to exist in a state that would expose invalid metrics. */
class SnapshotValidationTest {
  private static final Labels R = Labels.of(new String[] {"r"}, new String[] {"/"});

  @Test
  void labelsAreSortedAndNamesChecked() {
    Labels l = Labels.of(new String[] {"b", "a"}, new String[] {"2", "1"});
    assertEquals("{a=\"1\",b=\"2\"}", l.exposition());
    assertEquals("{a=\"1\",b=\"2\",c=\"3\"}", l.with("c", "3").exposition());
    assertEquals("{b=\"2\"}", l.without("a").exposition());
    assertThrows(IllegalArgumentException.class,
        () -> Labels.of(new String[] {"a", "a"}, new String[] {"1", "2"}));
    assertThrows(IllegalArgumentException.class,
        () -> Labels.of(new String[] {"a-b"}, new String[] {"1"}));
    assertThrows(IllegalArgumentException.class,
        () -> Labels.of(new String[] {"__name__"}, new String[] {"1"}));
    assertThrows(IllegalArgumentException.class,
        () -> Labels.of(new String[] {"a"}, new String[] {null}));
  }

  @Test
  void familyNamesAndSampleNamesMustFitTheType() {
    assertThrows(IllegalArgumentException.class, () -> family("1abc", MetricType.GAUGE,
        new Sample("1abc", Labels.EMPTY, 1)));
    assertThrows(IllegalArgumentException.class, () -> family("jobs", MetricType.COUNTER,
        new Sample("jobs", Labels.EMPTY, 1)));
    assertThrows(IllegalArgumentException.class, () -> family("t", MetricType.GAUGE,
        new Sample("t_total", Labels.EMPTY, 1)));
    assertThrows(IllegalArgumentException.class, () -> family("s", MetricType.SUMMARY,
        new Sample("s_bucket", Labels.EMPTY, 1)));
    assertThrows(IllegalArgumentException.class, () -> family("h", MetricType.HISTOGRAM,
        new Sample("h_bucket", R, 1)));
  }

  @Test
  void histogramBucketsMustEndInInfEqualToCount() {
    assertThrows(IllegalArgumentException.class, () -> family("h", MetricType.HISTOGRAM,
        new Sample("h_bucket", R.with("le", "1.0"), 1), new Sample("h_count", R, 1)));
    assertThrows(IllegalArgumentException.class, () -> family("h", MetricType.HISTOGRAM,
        new Sample("h_bucket", R.with("le", "+Inf"), 2), new Sample("h_count", R, 3)));
    MetricFamilySnapshot ok = family("h", MetricType.HISTOGRAM,
        new Sample("h_bucket", R.with("le", "1.0"), 1),
        new Sample("h_bucket", R.with("le", "+Inf"), 3), new Sample("h_count", R, 3),
        new Sample("h_sum", R, 0.5));
    assertEquals(4, ok.samples().size());
  }

  @Test
  void familyNamesAreUniqueInASnapshot() {
    MetricFamilySnapshot a = family("a", MetricType.GAUGE, new Sample("a", Labels.EMPTY, 1));
    assertThrows(IllegalArgumentException.class, () -> new MetricSnapshots(List.of(a, a)));
    assertEquals(1, new MetricSnapshots(List.of(a)).sampleCount());
  }

  private static MetricFamilySnapshot family(String name, MetricType type, Sample... samples) {
    return new MetricFamilySnapshot(name, type, "Help.", List.of(samples));
  }
}
