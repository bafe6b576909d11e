package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.forkserve.metrics.model.MetricType;
import org.junit.jupiter.api.Test;

class ReaderContextTest {
  @Test
  void keysOfOneFamilyShareTheirNamesAndHelp() {
    ReaderContext context = new ReaderContext();
    EntryKey a = context.key(
        "[\"jobs\", \"jobs_total\", {\"route\": \"/a\"}, \"Jobs done.\"]", MetricType.COUNTER);
    EntryKey b = context.key(
        "[\"jobs\", \"jobs_total\", {\"route\": \"/b\"}, \"Jobs done.\"]", MetricType.COUNTER);
    assertEquals("/a", a.labels().get("route"));
    assertEquals("/b", b.labels().get("route"));
    assertSame(a.metricName(), b.metricName());
    assertSame(a.sampleName(), b.sampleName());
    assertSame(a.help(), b.help());
    assertSame(a.labels().name(0), b.labels().name(0));
  }

  @Test
  void sameKeyTwiceIsDecodedOnce() {
    ReaderContext context = new ReaderContext();
    String json = "[\"jobs\", \"jobs_total\", {\"route\": \"/a\"}, \"Jobs done.\"]";
    assertSame(context.key(json, MetricType.COUNTER),
        context.key(new String(json.toCharArray()), MetricType.COUNTER));
  }
}
