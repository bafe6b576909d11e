package io.forkserve.metrics.exposition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.internal.FloatFormat;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteSinkTest {
  @Test
  void appendsAcrossPageBoundariesInOrder() throws Exception {
    ByteSink sink = new ByteSink();
    StringBuilder expected = new StringBuilder();
    byte[] label = "{route=\"/r\u00e9\"}".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 20_000; i++) { // about 6 pages: every kind of append meets a boundary
      sink.ascii("s_bucket").bytes(ByteBuffer.wrap(label)).ascii(" ").value(i).newline();
      sink.utf8("caf\u00e9 ").value(i + 0.25).bytes(label, 1, 3).newline();
      expected.append("s_bucket{route=\"/r\u00e9\"} ").append(i).append(".0\n");
      expected.append("caf\u00e9 ").append(i + 0.25).append("rou\n");
    }
    byte[] want = expected.toString().getBytes(StandardCharsets.UTF_8);
    assertEquals(want.length, sink.size());
    assertArrayEquals(want, sink.toByteArray());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    sink.writeTo(out);
    assertArrayEquals(want, out.toByteArray());
    ByteArrayOutputStream viaBuffers = new ByteArrayOutputStream();
    for (ByteBuffer b : sink.buffers()) {
      byte[] chunk = new byte[b.remaining()];
      b.get(chunk);
      viaBuffers.write(chunk);
    }
    assertArrayEquals(want, viaBuffers.toByteArray());
  }

  @Test
  void emptySinkHasOneEmptyBuffer() {
    ByteSink sink = new ByteSink();
    assertEquals(0, sink.size());
    assertEquals(1, sink.buffers().length);
    assertEquals(0, sink.buffers()[0].remaining());
  }

  @Test
  void value_writesLargeIntegersAsFloatFormatDoes() {
    assertEquals("1.048576e+06", written(1_048_576));
    assertEquals("1e+06", written(1e6));
    assertEquals("1.000001e+06", written(1_000_001));
    assertEquals("1e+014", written(1e14)); // prometheus_client pads the exponent to 0NN
    assertEquals("9.99999999999999e+014", written(999_999_999_999_999.0));
    Random random = new Random(11);
    // One sink for all values, back to back across page boundaries: a fresh sink per value
    // allocated (and zeroed) a 64 KiB page each, seconds of the test for nothing it checks.
    ByteSink all = new ByteSink();
    double[] values = new double[100_000];
    for (int i = 0; i < values.length; i++) {
      double v = Math.rint(Math.pow(10, 5 + random.nextDouble() * 11));
      values[i] = random.nextInt(4) == 0 ? Math.rint(v / 1000) * 1000 : v; // trailing zeros
      all.value(values[i]).newline();
    }
    String[] lines = new String(all.toByteArray(), StandardCharsets.UTF_8).split("\n", -1);
    assertEquals(values.length + 1, lines.length);
    assertEquals("", lines[values.length]);
    for (int i = 0; i < values.length; i++) {
      assertEquals(FloatFormat.format(values[i]), lines[i], "value " + (long) values[i]);
    }
  }

  @Test
  void value_writesSmallIntegersAsFloatFormatDoes() {
    ByteSink all = new ByteSink();
    List<Double> values = new ArrayList<>();
    for (long v : new long[] {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 99_999, 100_000,
        999_999}) {
      values.add((double) v);
      values.add((double) -v);
    }
    values.add(-0.0);
    Random random = new Random(12);
    for (int i = 0; i < 100_000; i++) {
      values.add((double) (random.nextInt(2_000_000) - 1_000_000));
    }
    for (double v : values) {
      all.value(v).newline();
    }
    String[] lines = new String(all.toByteArray(), StandardCharsets.UTF_8).split("\n", -1);
    assertEquals(values.size() + 1, lines.length);
    for (int i = 0; i < values.size(); i++) {
      assertEquals(FloatFormat.format(values.get(i)), lines[i], "value " + values.get(i));
    }
    assertEquals("-999999.0", written(-999_999));
  }

  private static String written(double v) {
    ByteSink sink = new ByteSink();
    sink.value(v);
    return new String(sink.toByteArray(), StandardCharsets.UTF_8);
  }
}
