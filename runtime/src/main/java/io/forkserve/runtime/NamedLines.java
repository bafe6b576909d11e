package io.forkserve.runtime;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes whole lines to another stream, with {@code [NAME] } after a leading {@code forkserve: },
 * so a server with several APIs says whose worker a line is about. Thread-safe: PrintStream
 * serialises writers, and each line goes out in one write.
 */
final class NamedLines extends OutputStream {
  private static final byte[] TAG = "forkserve: ".getBytes(StandardCharsets.UTF_8);

  private final PrintStream target;
  private final byte[] name;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);

  private NamedLines(PrintStream target, String name) {
    this.target = target;
    this.name = ("[" + name + "] ").getBytes(StandardCharsets.UTF_8);
  }

  /** A stream that writes to {@code target}, naming {@code name} on each forkserve line. */
  static PrintStream of(PrintStream target, String name) {
    return new PrintStream(new NamedLines(target, name), true, StandardCharsets.UTF_8);
  }

  @Override
  public void write(int b) {
    line.write(b);
    if (b == '\n') {
      flushLine();
    }
  }

  @Override
  public void flush() {
    if (line.size() > 0) {
      flushLine();
    }
  }

  private void flushLine() {
    byte[] bytes = line.toByteArray();
    line.reset();
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + name.length);
    if (startsWithTag(bytes)) {
      out.write(bytes, 0, TAG.length);
      out.writeBytes(name);
      out.write(bytes, TAG.length, bytes.length - TAG.length);
    } else {
      out.writeBytes(bytes);
    }
    synchronized (target) {
      target.write(out.toByteArray(), 0, out.size());
      target.flush();
    }
  }

  private static boolean startsWithTag(byte[] bytes) {
    if (bytes.length < TAG.length) {
      return false;
    }
    for (int i = 0; i < TAG.length; i++) {
      if (bytes[i] != TAG[i]) {
        return false;
      }
    }
    return true;
  }
}
