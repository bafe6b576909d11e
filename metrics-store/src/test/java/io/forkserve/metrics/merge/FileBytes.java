package io.forkserve.metrics.merge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Crafts metric files byte by byte, straight from the format description (int32 used, 4 zero
 * bytes, then per entry: int32 key length, key, 0x20 padding to 8-byte alignment, float64 value
 * and, in v2, float64 timestamp), independent of the production writer.
 */
final class FileBytes {
  private final boolean v2;
  private ByteBuffer buf = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
  private int used = 8;

  private FileBytes(boolean v2) {
    this.v2 = v2;
    buf.putInt(0, 8);
  }

  static FileBytes v1() {
    return new FileBytes(false);
  }

  static FileBytes v2() {
    return new FileBytes(true);
  }

  /** {@code ["metric", "sample", {labels}, "help"]} as Python's json.dumps writes it. */
  static String key(String metric, String sample, String labelsJson, String help) {
    return "[\"" + metric + "\", \"" + sample + "\", " + labelsJson + ", \"" + help + "\"]";
  }

  /** Appends an entry and stores the new used; returns the offset of its value. */
  FileBytes add(String key, double value) {
    return add(key, value, 0.0);
  }

  FileBytes add(String key, double value, double timestamp) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int pad = 8 - (k.length + 4) % 8;
    int length = 4 + k.length + pad + (v2 ? 16 : 8);
    while (used + length > buf.capacity()) {
      ByteBuffer bigger = ByteBuffer.allocate(buf.capacity() * 2).order(ByteOrder.LITTLE_ENDIAN);
      bigger.put(buf.array());
      buf = bigger;
    }
    int pos = used;
    buf.putInt(pos, k.length);
    buf.put(pos + 4, k);
    for (int i = 0; i < pad; i++) {
      buf.put(pos + 4 + k.length + i, (byte) ' ');
    }
    int valueAt = pos + 4 + k.length + pad;
    buf.putDouble(valueAt, value);
    if (v2) {
      buf.putDouble(valueAt + 8, timestamp);
    }
    used += length;
    buf.putInt(0, used);
    return this;
  }

  /** Offset of the value of the entry whose key is {@code key}. */
  int valueOffset(String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int pos = 8;
    while (pos < used) {
      int len = buf.getInt(pos);
      int valueAt = pos + 4 + len + 8 - (len + 4) % 8;
      byte[] found = Arrays.copyOfRange(buf.array(), pos + 4, pos + 4 + len);
      if (Arrays.equals(found, k)) {
        return valueAt;
      }
      pos = valueAt + (v2 ? 16 : 8);
    }
    throw new AssertionError("no entry " + key);
  }

  int used() {
    return used;
  }

  /** The whole file: header, entries, zero fill to the capacity. */
  byte[] bytes() {
    return buf.array().clone();
  }

  Path writeTo(Path file) {
    try {
      return Files.write(file, bytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes only the bytes in use: a valid file, as small as can be. */
  Path writeUsedTo(Path file) {
    try {
      return Files.write(file, Arrays.copyOf(buf.array(), used));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Overwrites {@code file} in place (same inode) with this content. */
  void overwrite(Path file) {
    try (var ch = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes()), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes 8 little-endian bytes of {@code value} at {@code offset} of {@code file}, in place. */
  static void putDouble(Path file, int offset, double value) {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0, value);
    try (var ch = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(b, offset);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
