package io.forkserve.metrics.exposition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
}
