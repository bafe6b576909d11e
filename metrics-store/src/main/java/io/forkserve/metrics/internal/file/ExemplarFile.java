package io.forkserve.metrics.internal.file;

import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One process's exemplars: the side file {@code exemplars_PID.ex} next to its metric files
 * (prometheus_client globs {@code *.db} and never sees it). One fixed-size slot per series, the
 * latest exemplar of that series. Not user API: public for the registry and the merge.
 *
 * <pre>
 * offset 0  int32 used (bytes in use, header included), 4 bytes zero
 * entries, back to back, each:
 *   int32 L, L bytes: the series' key, exactly as in its metric file (UTF-8 JSON)
 *   P bytes 0x20, P = 8 - (L + 4) % 8
 *   int64   seq: odd while the slot is written, even when stable (0: never written)
 *   float64 value
 *   float64 timestamp, Unix seconds
 *   int32   N, bytes of labels in use (0..512), 4 bytes zero
 *   512 bytes labels: name NUL value NUL name NUL value ... (UTF-8, no trailing NUL)
 * </pre>
 *
 * Little-endian. The writer appends an entry's bytes, then stores {@code used} (release). A slot
 * is a sequence lock: the writer (under the slot's monitor) stores seq odd, the fields, seq even;
 * a reader reads the file twice and keeps a slot whose seq is even and equal in both reads.
 */
public final class ExemplarFile implements Closeable {
  /** Most bytes of an exemplar's labels: 128 characters of up to 4 UTF-8 bytes. */
  public static final int MAX_LABEL_BYTES = 512;

  private static final int SLOT_LENGTH = 8 + 8 + 8 + 4 + 4 + MAX_LABEL_BYTES;
  private static final int SEQ = 0;
  private static final int VALUE = 8;
  private static final int TIMESTAMP = 16;
  private static final int LABEL_LENGTH = 24;
  private static final int LABELS = 32;
  private static final int INITIAL_CAPACITY = 64 * 1024;

  private final FileChannel channel;
  private MappedByteBuffer map;
  private int used;

  private ExemplarFile(FileChannel channel) {
    this.channel = channel;
  }

  /** Opens (creating, mode 0600) {@code path} for writing; an existing file starts over. */
  public static ExemplarFile create(Path path) throws IOException {
    FileChannel channel = FileChannel.open(path,
        Set.<OpenOption>of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
            LinkOption.NOFOLLOW_LINKS),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    ExemplarFile file = new ExemplarFile(channel);
    try {
      file.grow(INITIAL_CAPACITY);
      file.used = FileLayout.HEADER_LENGTH;
      MappedValues.putIntRelease(file.map, 0, file.used);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return file;
  }

  private void grow(int capacity) throws IOException {
    channel.write(ByteBuffer.allocate(1), capacity - 1L); // a full disk fails here, not SIGBUS
    map = channel.map(FileChannel.MapMode.READ_WRITE, 0, capacity);
    map.order(FileLayout.ORDER);
  }

  /** Appends a slot for the series {@code key} (never written: no exemplar yet). */
  public synchronized Slot slot(String key) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int slotOffset = used + FileLayout.valueOffset(k.length);
    long end = (long) slotOffset + SLOT_LENGTH;
    if (end > map.capacity()) {
      long capacity = map.capacity();
      while (capacity < end) {
        capacity *= 2;
      }
      if (capacity > FileLayout.MAX_CAPACITY) {
        throw new IOException("exemplar file full");
      }
      grow((int) capacity);
    }
    map.putInt(used, k.length);
    map.put(used + 4, k);
    for (int i = used + 4 + k.length; i < slotOffset; i++) {
      map.put(i, FileLayout.PAD);
    }
    used = (int) end;
    MappedValues.putIntRelease(map, 0, used);
    return new Slot(map, slotOffset);
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  /** Encodes exemplar labels for {@link Slot#set}: name NUL value NUL ...; null if too long. */
  public static byte[] encodeLabels(String[] namesAndValues) {
    String joined = String.join("\0", namesAndValues);
    byte[] bytes = joined.getBytes(StandardCharsets.UTF_8);
    return bytes.length <= MAX_LABEL_BYTES ? bytes : null;
  }

  /** One series' exemplar slot. Thread-safe. */
  public static final class Slot {
    /** A slot that stores nothing, for a series whose exemplars cannot be written. */
    public static final Slot NONE = new Slot(null, 0);

    private final ByteBuffer buffer;
    private final int offset;

    Slot(ByteBuffer buffer, int offset) {
      this.buffer = buffer;
      this.offset = offset;
    }

    /** Stores an exemplar; {@code labels} from {@link #encodeLabels}. */
    public synchronized void set(byte[] labels, double value, double timestamp) {
      if (buffer == null) {
        return;
      }
      long seq = buffer.getLong(offset + SEQ);
      MappedValues.putLongRelease(buffer, offset + SEQ, seq + 1);
      VarHandle.storeStoreFence();
      buffer.putDouble(offset + VALUE, value);
      buffer.putDouble(offset + TIMESTAMP, timestamp);
      buffer.putInt(offset + LABEL_LENGTH, labels.length);
      buffer.put(offset + LABELS, labels);
      MappedValues.putLongRelease(buffer, offset + SEQ, seq + 2);
    }
  }

  /** An exemplar read back: the series key, label names and values, value and timestamp. */
  public record Entry(String key, String[] labelNames, String[] labelValues, double value,
      double timestamp) {}

  /**
   * Reads the stable exemplars of {@code path} with two positional reads (never a mapping: a
   * foreign file truncated while mapped would crash the JVM); a slot whose sequence is odd or
   * differs between the reads was being written and is left out. Throws MetricFileException
   * when the file is not an exemplar file.
   */
  public static List<Entry> read(Path path) throws IOException, MetricFileException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      if (size < FileLayout.HEADER_LENGTH || size > FileLayout.MAX_CAPACITY) {
        throw new MetricFileException(path, SkipReason.CORRUPT, "exemplar file of " + size
            + " bytes");
      }
      ByteBuffer header = readFully(ch, 0, FileLayout.HEADER_LENGTH);
      int used = header.getInt(0);
      if (used < FileLayout.HEADER_LENGTH || used > size) {
        throw new MetricFileException(path, SkipReason.CORRUPT, "used " + used + " of " + size);
      }
      ByteBuffer first = readFully(ch, 0, used);
      ByteBuffer second = readFully(ch, 0, used);
      if (first.limit() < used || second.limit() < used) {
        throw new MetricFileException(path, SkipReason.TRUNCATED, "shrank while read");
      }
      return entries(path, first, second, used);
    }
  }

  private static ByteBuffer readFully(FileChannel ch, long at, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(FileLayout.ORDER);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        break;
      }
    }
    return b.flip();
  }

  private static List<Entry> entries(Path path, ByteBuffer map, ByteBuffer again, int used)
      throws MetricFileException {
    List<Entry> out = new ArrayList<>();
    Map<String, Boolean> seen = new HashMap<>();
    int at = FileLayout.HEADER_LENGTH;
    while (at < used) {
      int length = map.getInt(at);
      if (length <= 0 || (long) at + FileLayout.valueOffset(length) + SLOT_LENGTH > used) {
        throw new MetricFileException(path, SkipReason.CORRUPT, "bad exemplar entry at " + at);
      }
      byte[] k = new byte[length];
      map.get(at + 4, k);
      int slot = at + FileLayout.valueOffset(length);
      at = slot + SLOT_LENGTH;
      String key = new String(k, StandardCharsets.UTF_8);
      long seq = map.getLong(slot + SEQ);
      if (seq == 0 || (seq & 1) != 0 || again.getLong(slot + SEQ) != seq) {
        continue;
      }
      Entry e = readSlot(map, slot, key);
      if (e != null && seen.put(key, Boolean.TRUE) == null) {
        out.add(e);
      }
    }
    return out;
  }

  private static Entry readSlot(ByteBuffer map, int slot, String key) {
    int n = map.getInt(slot + LABEL_LENGTH);
    if (n <= 0 || n > MAX_LABEL_BYTES) {
      return null;
    }
    byte[] labels = new byte[n];
    map.get(slot + LABELS, labels);
    String[] parts = new String(labels, StandardCharsets.UTF_8).split("\0", -1);
    if (parts.length % 2 != 0) {
      return null;
    }
    String[] names = new String[parts.length / 2];
    String[] values = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = parts[2 * i];
      values[i] = parts[2 * i + 1];
    }
    return new Entry(key, names, values, map.getDouble(slot + VALUE),
        map.getDouble(slot + TIMESTAMP));
  }

  @Override
  public String toString() {
    return "ExemplarFile[" + used + " bytes]";
  }
}
