package io.forkserve.metrics.testsupport;

import io.forkserve.metrics.file.FormatVersion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-only parser of prometheus_client multiprocess files, written from the format note and
 * independent of the production reader: every entry up to {@code used}, strictly checked.
 */
public final class PyFile {
  private PyFile() {}

  /** One entry: key, value, timestamp (0 in v1) and the absolute offset of the value. */
  public record Entry(String key, double value, double timestamp, int valueOffset) {}

  /** The format a prometheus-client fixture version wrote: v0.16.0 v1, later ones v2. */
  public static FormatVersion format(String fixtureVersion) {
    return fixtureVersion.equals("v0.16.0") ? FormatVersion.V1 : FormatVersion.V2;
  }

  /** The int32 {@code used} at offset 0. */
  public static int used(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
  }

  /** Every entry of {@code file} in {@code version}; fails on anything malformed. */
  public static List<Entry> read(Path file, FormatVersion version) throws IOException {
    return read(Files.readAllBytes(file), version, file.toString());
  }

  /** Every entry of {@code bytes} in {@code version}; fails on anything malformed. */
  public static List<Entry> read(byte[] bytes, FormatVersion version, String name) {
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int used = buf.getInt(0);
    check(used >= 8 && used <= bytes.length && buf.getInt(4) == 0, name, "bad header " + used);
    int stride = version == FormatVersion.V1 ? 8 : 16;
    List<Entry> entries = new ArrayList<>();
    int pos = 8;
    while (pos < used) {
      int len = buf.getInt(pos);
      int pad = 8 - (len + 4) % 8;
      int valueAt = pos + 4 + len + pad;
      check(len > 0 && valueAt + stride <= used, name, "entry at " + pos + " overruns used");
      String key = new String(bytes, pos + 4, len, StandardCharsets.UTF_8);
      check(key.startsWith("[") && key.endsWith("]"), name, "key at " + pos + ": " + key);
      for (int i = pos + 4 + len; i < valueAt; i++) {
        check(bytes[i] == ' ', name, "padding byte at " + i + " is " + bytes[i]);
      }
      double ts = stride == 16 ? buf.getDouble(valueAt + 8) : 0.0;
      entries.add(new Entry(key, buf.getDouble(valueAt), ts, valueAt));
      pos = valueAt + stride;
    }
    check(pos == used, name, "entries end at " + pos + ", used is " + used);
    return entries;
  }

  private static void check(boolean ok, String name, String what) {
    if (!ok) {
      throw new IllegalStateException(name + ": " + what);
    }
  }
}
