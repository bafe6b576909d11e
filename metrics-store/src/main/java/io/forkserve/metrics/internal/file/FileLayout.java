package io.forkserve.metrics.internal.file;

import io.forkserve.metrics.file.FormatVersion;
import java.nio.ByteOrder;

/**
 * Byte layout of one prometheus_client multiprocess file, shared by writer and reader.
 *
 * <pre>
 *   0        4        8
 *   +--------+--------+--------------------------------------------------------------+
 *   | used   | 0 pad  | entry | entry | ...                       (up to used)        |
 *   +--------+--------+--------------------------------------------------------------+
 *
 *   entry (v1, prometheus_client 0.16-0.17):
 *   +-------+------------------+-------------+----------+
 *   | int32 | key: L bytes     | P x 0x20    | float64  |
 *   | L     | ASCII JSON list  | P = 8-(L+4)%8 | value  |
 *   +-------+------------------+-------------+----------+
 *   entry (v2, prometheus_client 0.18+): as v1, then float64 timestamp (Unix seconds).
 * </pre>
 *
 * <p>All integers are little-endian int32, floats little-endian IEEE-754 float64. Every value
 * starts 8-byte aligned, so values can be updated with 8-byte atomic operations on a mapping.
 *
 * <p>Not user API: public for the metric classes and the directory wipe.
 */
public final class FileLayout {
  /** Byte order of every field. */
  public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
  /** Offset of the int32 count of bytes in use, header included. */
  public static final int USED_OFFSET = 0;
  /** Size of the header; also {@code used} of an empty file. */
  public static final int HEADER_LENGTH = 8;
  /** Size of the int32 key length that opens an entry. */
  public static final int KEY_LENGTH_LENGTH = 4;
  /** Size of a float64 field. */
  public static final int DOUBLE_LENGTH = 8;
  /** Size a new file is extended to. */
  public static final int INITIAL_CAPACITY = 64 * 1024;
  /** Largest file: {@code used} is a signed int32. */
  public static final long MAX_CAPACITY = Integer.MAX_VALUE;
  /** The padding byte between key and value. */
  public static final byte PAD = 0x20;

  private FileLayout() {}

  /** Number of padding bytes after a key of {@code keyLength} bytes (1 to 8). */
  public static int padding(int keyLength) {
    return 8 - (keyLength + KEY_LENGTH_LENGTH) % 8;
  }

  /** Offset of the value, relative to the entry start, for a key of {@code keyLength} bytes. */
  public static int valueOffset(int keyLength) {
    return KEY_LENGTH_LENGTH + keyLength + padding(keyLength);
  }

  /** Total length of an entry with a key of {@code keyLength} bytes in {@code version}. */
  public static int entryLength(int keyLength, FormatVersion version) {
    return valueOffset(keyLength) + version.valueStride();
  }
}
