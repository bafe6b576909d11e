package io.forkserve.metrics.internal.file;

import io.forkserve.metrics.file.FormatVersion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * Reads one metric file, v1 or v2 (detected), incrementally: each {@link #read} decodes only the
 * entries appended since the last one and re-reads every value. One reader per file identity;
 * not thread-safe; any process may read any file, including one being written.
 *
 * <p>Not user API: public for merge, archive and the runtime's {@code bin/metrics} tools.
 */
public final class MetricFileReader {
  /*
   * A writer (ours or Python's) appends a whole entry, then stores `used`. We never map the file
   * (a mapped file that another process truncates raises SIGBUS, which kills the JVM): each read
   * takes the size (from the caller's lstat), then reads [0, previous used) with positional
   * reads into the context's buffer: one read holds the 8-byte header and, unless the file grew,
   * every entry; a grown file is read again up to the new `used`. A short read means the file
   * shrank: truncated. A scraper may keep the channel open between reads of one file identity
   * (read with keepOpen), so that a steady scrape costs an lstat and a pread per file.
   *
   * Entries before the previous `used` are never decoded again: their value offsets are kept, and
   * the values are read from the fresh buffer. Entries past it are walked with the file's stride
   * (8 for v1, 16 for v2), checking the key length, the 0x20 padding and that the walk lands
   * exactly on `used`; each key is then decoded as JSON (through the context's cache). While the
   * file has no entries its version is unknown; the first walk tries both strides and keeps the
   * one that fits. A file whose `used` went down, or whose first or last decoded key is no longer
   * where it was, was rewritten: its state is dropped and it is read from scratch. A failed read
   * leaves the reader reset, so the next read starts over.
   *
   * Hostile files: the path is checked without following links and must be a regular file before
   * it is opened (opening a FIFO blocks until a writer comes; a file swapped for a FIFO between
   * the check and the open is the residual risk, see docs/security.md). `used` is capped by the
   * file's size and by MAX_READ, so a sparse file cannot make a scrape allocate gigabytes.
   */

  /** The most bytes one read takes from one file: far above a capped registry's files. */
  static final int MAX_READ = 128 << 20;

  private final Path path;
  private final MetricFileName name;
  private FormatVersion version;
  private int used;
  private int count;
  private int[] valueOffsets = new int[16];
  private EntryKey[] keys = new EntryKey[16];
  private ByteBuffer data;
  private FileChannel channel;
  private long size;
  private int generation;
  private int firstKeyOffset;
  private byte[] firstKey;
  private int lastKeyOffset;
  private byte[] lastKey;

  /** A reader of {@code path}, whose file name parsed as {@code name}; nothing is read yet. */
  public MetricFileReader(Path path, MetricFileName name) {
    this.path = path;
    this.name = name;
  }

  /**
   * Reads the file now. Afterwards {@link #value}/{@link #timestamp} reflect this read until
   * another reader reads into the same context.
   *
   * @throws MetricFileException when the file is empty, truncated, corrupt, gone or unreadable
   */
  public void read(ReaderContext context) throws MetricFileException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw fail(SkipReason.VANISHED, "deleted while being read");
    } catch (IOException e) {
      throw fail(SkipReason.UNREADABLE, e.toString());
    }
    closeChannel();
    read(context, attrs, false);
  }

  /**
   * Reads the file now, as {@link #read(ReaderContext)} does, given the caller's attributes of
   * the path taken without following links just before. With {@code keepOpen} the file stays
   * open for the next such read, which then makes no {@code open} or {@code close}: the caller
   * must have checked that the path still names the same file (its file key) and must {@link
   * #close} the reader when it drops it.
   *
   * @throws MetricFileException when the file is empty, truncated, corrupt, gone or unreadable
   */
  public void read(ReaderContext context, BasicFileAttributes attrs, boolean keepOpen)
      throws MetricFileException {
    if (!attrs.isRegularFile()) { // opening a FIFO would block until a writer comes
      throw fail(SkipReason.UNREADABLE, "not a regular file");
    }
    FileChannel ch = channel;
    channel = null;
    try {
      if (ch == null) {
        ch = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      }
      readFrom(ch, context, attrs.size());
      if (keepOpen) {
        channel = ch;
        ch = null;
      }
    } catch (NoSuchFileException e) {
      throw fail(SkipReason.VANISHED, "deleted while being read");
    } catch (AccessDeniedException e) {
      throw fail(SkipReason.UNREADABLE, "permission denied");
    } catch (IOException e) {
      throw fail(SkipReason.UNREADABLE, e.toString());
    } finally {
      close(ch);
    }
  }

  /** Closes the file if a read kept it open; the reader may read again. */
  public void close() {
    closeChannel();
  }

  private void closeChannel() {
    FileChannel ch = channel;
    channel = null;
    close(ch);
  }

  private static void close(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // a read-only channel: nothing was written that could be lost
      }
    }
  }

  private void readFrom(FileChannel ch, ReaderContext context, long size)
      throws IOException, MetricFileException {
    this.size = size;
    if (size == 0) {
      throw fail(SkipReason.EMPTY, "zero bytes");
    }
    if (size < FileLayout.HEADER_LENGTH) {
      throw fail(SkipReason.TRUNCATED, size + " bytes, shorter than the header");
    }
    // One read takes the header and, when the file has not grown, everything in use.
    int first = (int) Math.min(size, Math.max(used, FileLayout.HEADER_LENGTH));
    ByteBuffer buf = context.buffer(first);
    buf.limit(first);
    fill(ch, buf, 0);
    int newUsed = buf.getInt(FileLayout.USED_OFFSET);
    if (buf.getInt(FileLayout.USED_OFFSET + 4) != 0) {
      throw fail(SkipReason.CORRUPT, "not a metric file: header padding is not zero");
    }
    if (newUsed == 0) {
      newUsed = FileLayout.HEADER_LENGTH; // created and extended, header not yet stored
    }
    if (newUsed < FileLayout.HEADER_LENGTH || newUsed % 8 != 0) {
      throw fail(SkipReason.CORRUPT, "bad header: used=" + newUsed);
    }
    if (newUsed > size) {
      throw fail(SkipReason.TRUNCATED, "used=" + newUsed + " but the file has " + size + " bytes");
    }
    if (newUsed > MAX_READ) { // a sparse file can claim gigabytes it does not hold
      throw fail(SkipReason.UNREADABLE,
          "used=" + newUsed + " is over the read limit of " + MAX_READ + " bytes");
    }
    if (newUsed < used) {
      reset(); // rewritten in place
    }
    if (newUsed > first) {
      try {
        buf = context.buffer(newUsed);
      } catch (OutOfMemoryError e) { // direct memory exhausted: this file, not the scrape, fails
        throw fail(SkipReason.UNREADABLE, "too large to read: used=" + newUsed);
      }
      buf.limit(newUsed);
      fill(ch, buf, 0);
    } else {
      buf.limit(newUsed);
    }
    data = buf;
    if (count > 0 && !(sameKey(buf, firstKeyOffset, firstKey)
        && sameKey(buf, lastKeyOffset, lastKey))) {
      reset(); // rewritten in place with other content
    }
    if (newUsed > used) {
      decodeNew(context, buf, newUsed);
    }
  }

  private void fill(FileChannel ch, ByteBuffer buf, long position)
      throws IOException, MetricFileException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw fail(SkipReason.TRUNCATED, "shrank while being read");
      }
      pos += n;
    }
  }

  private void decodeNew(ReaderContext context, ByteBuffer buf, int newUsed)
      throws MetricFileException {
    int from = Math.max(used, FileLayout.HEADER_LENGTH);
    if (from == newUsed) {
      used = newUsed; // no entries yet: the version stays unknown
      return;
    }
    FormatVersion v = version;
    int[] walk;
    if (v != null) {
      walk = walk(buf, from, newUsed, v);
    } else {
      int[] v2 = walk(buf, from, newUsed, FormatVersion.V2);
      int[] v1 = walk(buf, from, newUsed, FormatVersion.V1);
      if ((v1 == null) == (v2 == null)) {
        throw fail(SkipReason.CORRUPT, v1 == null
            ? "entries fit neither format v1 nor v2"
            : "entries fit both formats v1 and v2");
      }
      v = v1 != null ? FormatVersion.V1 : FormatVersion.V2;
      walk = v1 != null ? v1 : v2;
    }
    if (walk == null) {
      throw fail(SkipReason.CORRUPT, "bad entry after offset " + from + " (format " + v + ")");
    }
    EntryKey[] decoded = decodeKeys(context, buf, walk);
    for (int i = 0; i < decoded.length; i++) {
      append(walk[2 * i + 1], decoded[i]);
    }
    if (firstKey == null) {
      firstKeyOffset = walk[0];
      firstKey = keyBytes(buf, firstKeyOffset);
    }
    lastKeyOffset = walk[walk.length - 2];
    lastKey = keyBytes(buf, lastKeyOffset);
    version = v;
    used = newUsed;
  }

  /**
   * Walks entries in [from, end) with {@code version}'s stride: pairs of (key offset, value
   * offset), or null when an entry does not fit or the walk misses {@code end}.
   */
  static int[] walk(ByteBuffer buf, int from, int end, FormatVersion version) {
    int[] out = new int[16];
    int n = 0;
    int pos = from;
    while (pos < end) {
      if (end - pos < FileLayout.KEY_LENGTH_LENGTH) {
        return null;
      }
      int keyLength = buf.getInt(pos);
      int keyStart = pos + FileLayout.KEY_LENGTH_LENGTH;
      if (keyLength < 2 || keyLength > end - keyStart) {
        return null;
      }
      int valueOffset = pos + FileLayout.valueOffset(keyLength);
      if ((long) valueOffset + version.valueStride() > end
          || buf.get(keyStart) != '['
          || buf.get(keyStart + keyLength - 1) != ']'
          || !padded(buf, keyStart + keyLength, valueOffset)) {
        return null;
      }
      if (n + 2 > out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      out[n++] = pos;
      out[n++] = valueOffset;
      pos = valueOffset + version.valueStride();
    }
    return pos == end ? Arrays.copyOf(out, n) : null;
  }

  private static byte[] keyBytes(ByteBuffer buf, int entry) {
    byte[] key = new byte[FileLayout.KEY_LENGTH_LENGTH + buf.getInt(entry)];
    buf.get(entry, key);
    return key;
  }

  /** True when the entry at {@code entry} still has the length and key bytes {@code key}. */
  private static boolean sameKey(ByteBuffer buf, int entry, byte[] key) {
    if (entry + key.length > buf.limit()) {
      return false;
    }
    for (int i = 0; i < key.length; i++) {
      if (buf.get(entry + i) != key[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean padded(ByteBuffer buf, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf.get(i) != FileLayout.PAD) {
        return false;
      }
    }
    return true;
  }

  private EntryKey[] decodeKeys(ReaderContext context, ByteBuffer buf, int[] walk)
      throws MetricFileException {
    EntryKey[] out = new EntryKey[walk.length / 2];
    for (int i = 0; i < out.length; i++) {
      int pos = walk[2 * i];
      try {
        String json = context.keyString(buf, pos + FileLayout.KEY_LENGTH_LENGTH, buf.getInt(pos));
        out[i] = context.key(json, name.type());
      } catch (CharacterCodingException e) {
        throw fail(SkipReason.CORRUPT, "key at offset " + pos + " is not UTF-8");
      } catch (IllegalArgumentException e) {
        throw fail(SkipReason.CORRUPT, "key at offset " + pos + ": " + e.getMessage());
      }
    }
    return out;
  }

  private void append(int valueOffset, EntryKey key) {
    if (count == valueOffsets.length) {
      valueOffsets = Arrays.copyOf(valueOffsets, count * 2);
      keys = Arrays.copyOf(keys, count * 2);
    }
    valueOffsets[count] = valueOffset;
    keys[count] = key;
    count++;
  }

  private void reset() {
    if (count > 0 || version != null) {
      generation++;
    }
    version = null;
    used = 0;
    count = 0;
    firstKey = null;
    lastKey = null;
    Arrays.fill(keys, null);
  }

  private MetricFileException fail(SkipReason reason, String detail) {
    closeChannel();
    reset();
    data = null;
    return new MetricFileException(path, reason, detail);
  }

  /** The file read. */
  public Path path() {
    return path;
  }

  /** Its parsed name. */
  public MetricFileName name() {
    return name;
  }

  /** The format, or null while the file has no entries (it reads the same in both). */
  public FormatVersion version() {
    return version;
  }

  /** The file's size in bytes (its capacity) at the last read. */
  public long size() {
    return size;
  }

  /** Bytes in use at the last read, header included. */
  public int used() {
    return used;
  }

  /**
   * Goes up whenever the reader drops what it decoded (the file was rewritten, or a read
   * failed); entry indexes seen under an older generation are void.
   */
  public int generation() {
    return generation;
  }

  /** Number of entries at the last read. */
  public int entryCount() {
    return count;
  }

  /** The key of entry {@code i}. */
  public EntryKey key(int i) {
    return keys[i];
  }

  /** The offset of entry {@code i}'s value in the file. */
  public int valueOffset(int i) {
    return valueOffsets[i];
  }

  /** The value of entry {@code i} at the last read. */
  public double value(int i) {
    return data.getDouble(valueOffsets[i]);
  }

  /** The timestamp of entry {@code i} at the last read; 0 in format v1. */
  public double timestamp(int i) {
    return version == FormatVersion.V2 ? data.getDouble(valueOffsets[i] + 8) : 0.0;
  }
}
