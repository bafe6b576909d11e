package io.forkserve.metrics.exposition;

import io.forkserve.metrics.internal.FloatFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only byte buffer in fixed-size pages: growing never copies what was written, and a
 * page is small enough to stay out of the garbage collectors' large-object paths. Also an {@link
 * OutputStream}, so a compressor can write into one. Not thread-safe.
 */
final class ByteSink extends OutputStream {
  static final int PAGE = 64 << 10;

  private final List<byte[]> full = new ArrayList<>();
  private byte[] page = new byte[PAGE];
  private int at;

  ByteSink ascii(String s) {
    int n = s.length();
    if (PAGE - at < n) {
      return slowString(s);
    }
    byte[] p = page;
    int start = at;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        at = start;
        return slowString(s);
      }
      p[start + i] = (byte) c;
    }
    at = start + n;
    return this;
  }

  ByteSink utf8(String s) {
    return ascii(s);
  }

  private ByteSink slowString(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return bytes(b, 0, b.length);
  }

  /** Appends {@code len} bytes of {@code b} from {@code off}. */
  ByteSink bytes(byte[] b, int off, int len) {
    while (len > 0) {
      if (at == PAGE) {
        nextPage();
      }
      int k = Math.min(len, PAGE - at);
      System.arraycopy(b, off, page, at, k);
      at += k;
      off += k;
      len -= k;
    }
    return this;
  }

  /** Appends the bytes of {@code b} from its index 0 to its limit (absolute reads only). */
  ByteSink bytes(ByteBuffer b) {
    int len = b.limit();
    int off = 0;
    while (len > 0) {
      if (at == PAGE) {
        nextPage();
      }
      int k = Math.min(len, PAGE - at);
      b.get(off, page, at, k);
      at += k;
      off += k;
      len -= k;
    }
    return this;
  }

  /** Appends a double as floatToGoString writes it; integers below 1e6 without a String. */
  ByteSink value(double v) {
    if (v > -1e6 && v < 1e6 && v == (long) v && !(v == 0 && 1 / v < 0) && PAGE - at >= 24) {
      byte[] p = page;
      long n = (long) v;
      if (n < 0) {
        p[at++] = '-';
        n = -n;
      }
      int start = at;
      do {
        p[at++] = (byte) ('0' + n % 10);
        n /= 10;
      } while (n > 0);
      for (int i = start, j = at - 1; i < j; i++, j--) {
        byte t = p[i];
        p[i] = p[j];
        p[j] = t;
      }
      p[at++] = '.';
      p[at++] = '0';
      return this;
    }
    return ascii(FloatFormat.format(v));
  }

  ByteSink newline() {
    if (at == PAGE) {
      nextPage();
    }
    page[at++] = '\n';
    return this;
  }

  /** Called on a full page only. */
  private void nextPage() {
    full.add(page);
    page = new byte[PAGE];
    at = 0;
  }

  @Override
  public void write(int b) {
    if (at == PAGE) {
      nextPage();
    }
    page[at++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    bytes(b, off, len);
  }

  /** Bytes written so far. */
  int size() {
    long n = at;
    for (byte[] p : full) {
      n += p.length;
    }
    return Math.toIntExact(n);
  }

  /** A copy of everything written. */
  byte[] toByteArray() {
    byte[] out = new byte[size()];
    int n = 0;
    for (byte[] p : full) {
      System.arraycopy(p, 0, out, n, p.length);
      n += p.length;
    }
    System.arraycopy(page, 0, out, n, at);
    return out;
  }

  /** Read-only views of the pages, in order; the sink must not be written to afterwards. */
  ByteBuffer[] buffers() {
    ByteBuffer[] out = new ByteBuffer[full.size() + 1];
    for (int i = 0; i < full.size(); i++) {
      out[i] = ByteBuffer.wrap(full.get(i)).asReadOnlyBuffer();
    }
    out[full.size()] = ByteBuffer.wrap(page, 0, at).slice().asReadOnlyBuffer();
    return out;
  }

  /** Writes everything written so far to {@code out}, a page at a time. */
  void writeTo(OutputStream out) throws IOException {
    for (byte[] p : full) {
      out.write(p, 0, p.length);
    }
    out.write(page, 0, at);
  }
}
