package io.forkserve.metrics.exposition;

import io.forkserve.metrics.internal.FloatFormat;
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

  /**
   * Appends a double as floatToGoString writes it; integers below 1e6 ({@code 42.0}), and positive
   * ones from 1e6 to 1e15 ({@code 1.048576e+06}: byte counts), without a String.
   */
  ByteSink value(double v) {
    if (v > -1e6 && v < 1e6 && v == (long) v && !(v == 0 && 1 / v < 0)) {
      long n = (long) v;
      ensure(24);
      if (n < 0) {
        buf[size++] = '-';
        n = -n;
      }
      digits(n);
      buf[size++] = '.';
      buf[size++] = '0';
      return this;
    }
    if (v >= 1e6 && v < 1e15 && v == (long) v) {
      return goExponent((long) v);
    }
    return ascii(FloatFormat.format(v));
  }

  /** {@code n} (7 to 15 digits) as {@code D.DDDe+0E}, trailing zeros of the mantissa dropped. */
  private ByteSink goExponent(long n) {
    ensure(24);
    int start = size;
    digits(n);
    int exponent = size - start - 1;
    int end = size;
    while (buf[end - 1] == '0') {
      end--;
    }
    if (end - start > 1) { // D.DDD: move the digits after the first one place right
      System.arraycopy(buf, start + 1, buf, start + 2, end - start - 1);
      buf[start + 1] = '.';
      end++;
    }
    size = end;
    buf[size++] = 'e';
    buf[size++] = '+';
    buf[size++] = '0';
    digits(exponent);
    return this;
  }

  /** The decimal digits of {@code n} (at least 0). */
  private void digits(long n) {
    int start = size;
    do {
      buf[size++] = (byte) ('0' + n % 10);
      n /= 10;
    } while (n > 0);
    for (int i = start, j = size - 1; i < j; i++, j--) {
      byte t = buf[i];
      buf[i] = buf[j];
      buf[j] = t;
    }
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
