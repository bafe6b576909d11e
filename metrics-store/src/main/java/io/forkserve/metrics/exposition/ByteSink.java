package io.forkserve.metrics.exposition;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array with fast ASCII appends. Not thread-safe. */
final class ByteSink {
  private byte[] buf;
  private int size;

  ByteSink(int capacity) {
    buf = new byte[capacity];
  }

  ByteSink ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        return utf8From(s, i);
      }
      buf[size++] = (byte) c;
    }
    return this;
  }

  ByteSink utf8(String s) {
    return ascii(s);
  }

  private ByteSink utf8From(String s, int from) {
    byte[] rest = s.substring(from).getBytes(StandardCharsets.UTF_8);
    ensure(rest.length);
    System.arraycopy(rest, 0, buf, size, rest.length);
    size += rest.length;
    return this;
  }

  ByteSink newline() {
    ensure(1);
    buf[size++] = '\n';
    return this;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }

  int size() {
    return size;
  }

  byte[] array() {
    return buf;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  void writeTo(OutputStream out) throws IOException {
    out.write(buf, 0, size);
  }
}
