package io.forkserve.metrics.exposition;

import io.forkserve.metrics.internal.FloatFormat;
import io.forkserve.metrics.model.Labels;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only byte buffer in fixed-size pages: growing never copies what was written, and a
 * page is small enough to stay out of the garbage collectors' large-object paths. A sink given
 * a stream to spill to writes each full page there and reuses it. Also an {@link
 * OutputStream}, so a compressor can write into one. Not thread-safe.
 */
final class ByteSink extends OutputStream {
  static final int PAGE = 64 << 10;
  /** "00" to "99", two bytes each. */
  private static final byte[] PAIRS = pairs();

  private final List<byte[]> full = new ArrayList<>();
  private final OutputStream spill;
  private byte[] page = new byte[PAGE];
  private int at;

  /** A sink that keeps everything written. */
  ByteSink() {
    this(null);
  }

  /**
   * A sink that writes each full page to {@code spill} and reuses it (null: keeps the pages);
   * an {@link IOException} of {@code spill} comes out as an {@link UncheckedIOException}.
   */
  ByteSink(OutputStream spill) {
    this.spill = spill;
  }

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

  /** Appends the label set as both exposition formats write it. */
  ByteSink labels(Labels labels) {
    int n = labels.copyExpositionUtf8(page, at);
    if (n >= 0) {
      at += n;
      return this;
    }
    return bytes(labels.expositionUtf8()); // across a page boundary
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

  /**
   * Appends a double as floatToGoString writes it; integers below 1e6 ({@code 42.0}), and positive
   * ones from 1e6 to 1e15 ({@code 1.048576e+06}: byte counts), without a String.
   */
  ByteSink value(double v) {
    if (PAGE - at >= 24 && v == (long) v) {
      if (v > -1e6 && v < 1e6 && !(v == 0 && 1 / v < 0)) {
        long n = (long) v;
        if (n < 0) {
          page[at++] = '-';
          n = -n;
        }
        digits(n);
        page[at++] = '.';
        page[at++] = '0';
        return this;
      }
      if (v >= 1e6 && v < 1e15) {
        return goExponent((long) v);
      }
    }
    return ascii(FloatFormat.format(v));
  }

  /**
   * {@code n} (7 to 15 digits) as {@code D.DDDe+0E}, trailing zeros of the mantissa dropped; the
   * caller has made sure that 24 bytes fit in the page.
   */
  private ByteSink goExponent(long n) {
    byte[] p = page;
    int start = at;
    digits(n);
    int exponent = at - start - 1;
    int end = at;
    while (p[end - 1] == '0') {
      end--;
    }
    if (end - start > 1) { // D.DDD: move the digits after the first one place right
      System.arraycopy(p, start + 1, p, start + 2, end - start - 1);
      p[start + 1] = '.';
      end++;
    }
    at = end;
    p[at++] = 'e';
    p[at++] = '+';
    p[at++] = '0';
    digits(exponent);
    return this;
  }

  /** The decimal digits of {@code n} (at least 0) into the current page, which has room. */
  private void digits(long n) {
    byte[] p = page;
    int end = at + digitCount(n);
    int i = end;
    while (n >= 100) { // two digits per division
      int r = (int) (n % 100);
      n /= 100;
      p[--i] = PAIRS[2 * r + 1];
      p[--i] = PAIRS[2 * r];
    }
    if (n >= 10) {
      p[--i] = PAIRS[2 * (int) n + 1];
      p[--i] = PAIRS[2 * (int) n];
    } else {
      p[--i] = (byte) ('0' + n);
    }
    at = end;
  }

  private static int digitCount(long n) {
    int count = 1;
    for (long bound = 10; n >= bound && count < 18; bound *= 10) {
      count++;
    }
    return n >= 1_000_000_000_000_000_000L ? 19 : count;
  }

  private static byte[] pairs() {
    byte[] b = new byte[200];
    for (int i = 0; i < 100; i++) {
      b[2 * i] = (byte) ('0' + i / 10);
      b[2 * i + 1] = (byte) ('0' + i % 10);
    }
    return b;
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
    if (spill != null) {
      try {
        spill.write(page, 0, at);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      at = 0;
      return;
    }
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

  /** Bytes written so far and kept (not spilled). */
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
