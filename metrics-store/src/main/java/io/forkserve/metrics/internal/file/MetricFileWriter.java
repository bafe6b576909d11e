package io.forkserve.metrics.internal.file;

import io.forkserve.metrics.file.FormatVersion;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Appends entries to one memory-mapped metric file of this process ({@code counter_PID.db}, ...).
 * One writer per file and process; its methods are thread-safe. Values are then updated through
 * {@link MappedValues} on the {@link Slots} it hands out, by any thread, without locks.
 *
 * <p>Not user API: public for the metric classes of {@code io.forkserve.metrics}.
 */
public final class MetricFileWriter implements Closeable {
  /*
   * Protocol with readers in other processes (and with value updaters in this one):
   *
   * - Appending is serialized by this object's monitor. An entry (key length, key, padding,
   *   zeroed value and timestamp) is written with plain stores into the mapping past `used`;
   *   then `used` is stored with release semantics. A reader that loads `used` (acquire) sees
   *   whole entries up to it and never a half-written one. A group of entries (a histogram
   *   child: sum and every bucket) is published by one store of `used`.
   * - Disk blocks are allocated before they are mapped: the file grows by writing zeros through
   *   the channel, never by truncate(), so a full disk is an IOException here and not a SIGBUS
   *   on a later store into a sparse hole.
   * - Growth doubles the capacity and maps the file again. Older mappings stay valid (the file
   *   is never shrunk), so Slots handed out earlier keep working on the buffer they hold; every
   *   mapping sees the same pages.
   * - Values are 8-byte aligned (the header and every entry are multiples of 8), so updates are
   *   single atomic 8-byte operations.
   */

  private static final Set<PosixFilePermission> FILE_MODE =
      PosixFilePermissions.fromString("rw-------");
  private static final int ZERO_CHUNK = 64 * 1024;

  private final Path path;
  private final FormatVersion version;
  private final FileChannel channel;
  private final Map<String, Integer> valueOffsets = new HashMap<>();
  private MappedByteBuffer mapping;
  private int capacity;
  private int used;
  private boolean closed;

  private MetricFileWriter(Path path, FormatVersion version, FileChannel channel) {
    this.path = path;
    this.version = version;
    this.channel = channel;
  }

  /**
   * Opens {@code path} for appending, creating it (mode 0600) when missing. An existing file of
   * this format and version (a reused pid) is continued, as prometheus_client does; any other
   * content is refused with an {@link IllegalStateException}. A symbolic link at {@code path} is
   * never followed: the open fails with an {@link IOException}.
   */
  public static MetricFileWriter open(Path path, FormatVersion version) throws IOException {
    FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(FILE_MODE);
    FileChannel channel =
        FileChannel.open(
            path,
            Set.<OpenOption>of(
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS),
            mode);
    MetricFileWriter writer = new MetricFileWriter(path, version, channel);
    boolean created = channel.size() == 0;
    try {
      writer.init();
    } catch (IOException | RuntimeException e) {
      channel.close();
      if (created) { // e.g. a full disk: leave no empty or half-allocated file behind
        Files.deleteIfExists(path);
      }
      throw e;
    }
    return writer;
  }

  private void init() throws IOException {
    long size = channel.size();
    if (size == 0) {
      allocate(0, FileLayout.INITIAL_CAPACITY);
      remap(FileLayout.INITIAL_CAPACITY);
      used = FileLayout.HEADER_LENGTH;
      MappedValues.putIntRelease(mapping, FileLayout.USED_OFFSET, used);
      return;
    }
    if (size < FileLayout.HEADER_LENGTH || size > FileLayout.MAX_CAPACITY) {
      throw notOurs("its size is " + size + " bytes");
    }
    remap((int) size);
    used = MappedValues.getIntAcquire(mapping, FileLayout.USED_OFFSET);
    if (used == 0) {
      used = FileLayout.HEADER_LENGTH;
    }
    indexExistingEntries();
    allocate(used, capacity);
    MappedValues.putIntRelease(mapping, FileLayout.USED_OFFSET, used);
  }

  private void indexExistingEntries() {
    if (used < FileLayout.HEADER_LENGTH || used > capacity || used % 8 != 0) {
      throw notOurs("used is " + used + " of " + capacity + " bytes");
    }
    int pos = FileLayout.HEADER_LENGTH;
    while (pos < used) {
      int keyLength = pos + FileLayout.KEY_LENGTH_LENGTH <= used ? mapping.getInt(pos) : -1;
      if (keyLength < 2 || pos + (long) FileLayout.entryLength(keyLength, version) > used) {
        throw notOurs("the entry at offset " + pos + " does not fit in used=" + used);
      }
      byte[] key = new byte[keyLength];
      mapping.get(pos + FileLayout.KEY_LENGTH_LENGTH, key);
      if (key[0] != '[' || key[keyLength - 1] != ']' || !paddingOk(pos, keyLength)) {
        throw notOurs("the entry at offset " + pos + " is not a key of this format");
      }
      valueOffsets.put(
          new String(key, StandardCharsets.UTF_8), pos + FileLayout.valueOffset(keyLength));
      pos += FileLayout.entryLength(keyLength, version);
    }
  }

  private boolean paddingOk(int entry, int keyLength) {
    int start = entry + FileLayout.KEY_LENGTH_LENGTH + keyLength;
    for (int i = 0; i < FileLayout.padding(keyLength); i++) {
      if (mapping.get(start + i) != FileLayout.PAD) {
        return false;
      }
    }
    return true;
  }

  private IllegalStateException notOurs(String why) {
    return new IllegalStateException(
        "metrics file "
            + path
            + " exists but is not a format v"
            + version.number()
            + " metrics file ("
            + why
            + "); delete it or wipe the directory");
  }

  /**
   * The value slots for {@code keys}, appending the entries that do not exist yet, in order and all
   * published at once. Throws {@link UncheckedIOException} when the disk is full and {@link
   * IllegalStateException} when the file would pass the format's 2 GiB limit.
   */
  public synchronized Slots slots(List<String> keys) {
    if (closed) {
      throw new IllegalStateException("metrics file " + path + " is closed");
    }
    List<byte[]> missing = new ArrayList<>();
    long needed = 0;
    for (String key : keys) {
      if (!valueOffsets.containsKey(key)) {
        byte[] encoded = key.getBytes(StandardCharsets.UTF_8);
        missing.add(encoded);
        needed += FileLayout.entryLength(encoded.length, version);
        valueOffsets.put(key, -1);
      }
    }
    try {
      if (!missing.isEmpty()) {
        append(missing, needed);
      }
    } catch (RuntimeException e) {
      valueOffsets.values().removeIf(offset -> offset < 0);
      throw e;
    }
    int[] offsets = new int[keys.size()];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = valueOffsets.get(keys.get(i));
    }
    return new Slots(mapping, offsets);
  }

  private void append(List<byte[]> keys, long needed) {
    ensureCapacity(used + needed);
    int pos = used;
    for (byte[] key : keys) {
      pos = writeEntry(pos, key);
    }
    used = pos;
    MappedValues.putIntRelease(mapping, FileLayout.USED_OFFSET, used);
  }

  private int writeEntry(int pos, byte[] key) {
    mapping.putInt(pos, key.length);
    mapping.put(pos + FileLayout.KEY_LENGTH_LENGTH, key);
    int valueOffset = pos + FileLayout.valueOffset(key.length);
    for (int i = pos + FileLayout.KEY_LENGTH_LENGTH + key.length; i < valueOffset; i++) {
      mapping.put(i, FileLayout.PAD);
    }
    for (int i = 0; i < version.valueStride(); i += FileLayout.DOUBLE_LENGTH) {
      mapping.putLong(valueOffset + i, 0L);
    }
    valueOffsets.put(new String(key, StandardCharsets.UTF_8), valueOffset);
    return valueOffset + version.valueStride();
  }

  private void ensureCapacity(long required) {
    if (required <= capacity) {
      return;
    }
    int next = nextCapacity(capacity, required, path);
    try {
      allocate(capacity, next);
      remap(next);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot grow metrics file " + path + " to " + next + " bytes: " + e.getMessage(), e);
    }
  }

  /** Doubles {@code capacity} until {@code required} fits, up to the format's 2 GiB limit. */
  static int nextCapacity(long capacity, long required, Path path) {
    if (required > FileLayout.MAX_CAPACITY) {
      throw new IllegalStateException(
          "metrics file "
              + path
              + " is full: it would need "
              + required
              + " bytes, past the 2 GiB limit of the prometheus_client format (too many series?)");
    }
    long next = Math.max(capacity, FileLayout.INITIAL_CAPACITY);
    while (next < required) {
      next *= 2;
    }
    return (int) Math.min(next, FileLayout.MAX_CAPACITY);
  }

  /** Writes zeros over {@code [from, to)} so the blocks are really allocated on disk. */
  private void allocate(long from, long to) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK);
    long pos = from;
    while (pos < to) {
      zeros.clear().limit((int) Math.min(ZERO_CHUNK, to - pos));
      while (zeros.hasRemaining()) {
        pos += channel.write(zeros, pos);
      }
    }
  }

  private void remap(int newCapacity) throws IOException {
    MappedByteBuffer next = channel.map(FileChannel.MapMode.READ_WRITE, 0, newCapacity);
    next.order(FileLayout.ORDER);
    mapping = next;
    capacity = newCapacity;
  }

  /** The file this writer appends to. */
  public Path path() {
    return path;
  }

  /** The format of every entry in the file. */
  public FormatVersion version() {
    return version;
  }

  /** Bytes in use, header included. */
  public synchronized int used() {
    return used;
  }

  /** Bytes allocated on disk and mapped. */
  public synchronized int capacity() {
    return capacity;
  }

  /**
   * Flushes the mapping and closes the channel. The mapping itself is released by the garbage
   * collector once no {@link Slots} refer to it; stores through such Slots still reach the file.
   */
  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      mapping.force();
      channel.close();
    }
  }

  /** Value offsets of some entries, and a mapping that holds them all. Immutable. */
  public static final class Slots {
    private final ByteBuffer buffer;
    private final int[] valueOffsets;
    private final boolean inMemory;

    Slots(ByteBuffer buffer, int[] valueOffsets) {
      this(buffer, valueOffsets, false);
    }

    private Slots(ByteBuffer buffer, int[] valueOffsets, boolean inMemory) {
      this.buffer = buffer;
      this.valueOffsets = valueOffsets;
      this.inMemory = inMemory;
    }

    /**
     * Slots for {@code keys} values in a private buffer that no file holds: updates work and
     * are lost. For series whose file cannot be written (a full disk).
     */
    public static Slots inMemory(int keys, FormatVersion version) {
      int stride = Math.max(FileLayout.DOUBLE_LENGTH, version.valueStride());
      ByteBuffer buffer = ByteBuffer.allocateDirect(Math.max(1, keys) * stride)
          .order(FileLayout.ORDER);
      int[] offsets = new int[keys];
      for (int i = 0; i < keys; i++) {
        offsets[i] = i * stride;
      }
      return new Slots(buffer, offsets, true);
    }

    /** True for {@link #inMemory} slots: no file holds them, updates are not recorded. */
    public boolean inMemory() {
      return inMemory;
    }

    /** The mapping to pass to {@link MappedValues}. */
    public ByteBuffer buffer() {
      return buffer;
    }

    /** Absolute offset of the value of the {@code i}-th key; in v2 the timestamp follows it. */
    public int valueOffset(int i) {
      return valueOffsets[i];
    }

    /** Number of keys. */
    public int size() {
      return valueOffsets.length;
    }
  }
}
