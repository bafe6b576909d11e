package io.forkserve.metrics.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks an archive's {@code data.mdb} with positional reads, never through a mapping, before
 * LMDB maps it and before every transaction: LMDB reads pages through a shared mapping, and
 * a page past the end of a truncated file is a SIGBUS that kills the JVM.
 */
final class ArchiveFile {
  /*
   * LMDB (0.9, 64-bit) starts the file with two meta pages, at 0 and at the page size. Each:
   *
   *   offset  size  field
   *   10      2     page flags: P_META (0x08)
   *   16      4     magic 0xBEEFC0DE
   *   20      4     data version: 1
   *   32      8     map size
   *   40      4     page size (the free DB's md_pad)
   *   80      8     free DB root page (all ones: empty)
   *   128     8     main DB root page (all ones: empty)
   *   136     8     last page in use
   *   144     8     transaction id: the meta with the larger one is current
   *
   * The file is sound enough to map when both metas are well formed, the current one's map
   * size covers its last page, and both roots lie inside the file. The last page itself may lie
   * past the end of a sound file (pages allocated and freed again in one transaction are never
   * written), so a truncation is caught by size: LMDB only ever grows data.mdb, so a file
   * smaller than the largest size this environment saw was truncated. That rules out garbage,
   * a foreign file, another LMDB version, a cut root, and any truncation under a live reader
   * before its check. It does not rule out a truncation between the check and the read (a
   * window of one transaction), one made before this process first looked that spares the
   * roots, nor garbage inside pages LMDB does not verify: see docs/security.md.
   */

  private static final int META_LENGTH = 152;
  private static final int P_META = 0x08;
  private static final int MAGIC = 0xBEEFC0DE;
  private static final int VERSION = 1;
  private static final long MAX_MAP_SIZE = 1L << 40;

  private ArchiveFile() {}

  /**
   * What is wrong with the data file in {@code folder}, or null when it looks sound; also when
   * it is absent and {@code expectedKey} is null (no archive yet). When {@code expectedKey} is
   * not null, the file must still be that file (not replaced by another one).
   */
  static String problem(Path folder, Object expectedKey) {
    return problem(folder, expectedKey, null);
  }

  /**
   * As {@link #problem(Path, Object)}, and the file must not be smaller than {@code largest},
   * the largest size seen so far, which this call raises (null: no such check).
   */
  static String problem(Path folder, Object expectedKey, AtomicLong largest) {
    Path data = folder.resolve(ArchiveEnv.DATA_FILE);
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(data, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return expectedKey == null ? null : "data.mdb was deleted";
    } catch (IOException e) {
      return "data.mdb cannot be read: " + e;
    }
    if (!attrs.isRegularFile()) {
      return "data.mdb is not a regular file";
    }
    if (expectedKey != null && !expectedKey.equals(attrs.fileKey())) {
      return "data.mdb was replaced by another file";
    }
    long size = attrs.size();
    if (size < 2L * 512) {
      return "data.mdb has " + size + " bytes, fewer than two LMDB meta pages";
    }
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer first = meta(ch, 0);
      String bad = badMeta(first, 0);
      if (bad != null) {
        return bad;
      }
      int pageSize = first.getInt(40);
      if (size < 2L * pageSize) {
        return "data.mdb has " + size + " bytes, fewer than two " + pageSize + "-byte pages";
      }
      ByteBuffer second = meta(ch, pageSize);
      bad = badMeta(second, 1);
      if (bad != null) {
        return bad;
      }
      ByteBuffer current = second.getLong(144) > first.getLong(144) ? second : first;
      // the size after the metas: a writer writes pages before the meta naming them, and the
      // file only grows, so this size holds every page the metas read above refer to. Compared
      // with the largest size seen before it was read: a concurrent check may have read and
      // recorded a larger size since, which says nothing about this one
      long seen = largest == null ? 0 : largest.get();
      size = ch.size();
      if (size < seen) {
        return "data.mdb is truncated: it shrank from " + seen + " to " + size + " bytes";
      }
      if (largest != null) {
        largest.accumulateAndGet(size, Math::max);
      }
      long lastPage = current.getLong(136);
      long mapSize = current.getLong(32);
      if (lastPage < 1 || lastPage >= MAX_MAP_SIZE / pageSize) {
        return "data.mdb has a bad last page " + lastPage;
      }
      if (mapSize < (lastPage + 1) * pageSize || mapSize > MAX_MAP_SIZE) {
        return "data.mdb has a bad map size " + mapSize;
      }
      for (int offset : new int[] {80, 128}) {
        long root = current.getLong(offset);
        if (root != -1L && (root < 2 || root > lastPage)) {
          return "data.mdb has a bad root page " + root;
        }
        if (root != -1L && (root + 1) * pageSize > size) {
          return "data.mdb is truncated: " + size + " bytes, but its root page " + root
              + " ends at " + (root + 1) * pageSize;
        }
      }
      return null;
    } catch (NoSuchFileException e) {
      return "data.mdb was deleted";
    } catch (IOException e) {
      return "data.mdb cannot be read: " + e;
    }
  }

  private static ByteBuffer meta(FileChannel ch, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(META_LENGTH).order(ByteOrder.nativeOrder());
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        break; // left zero: fails the magic check
      }
      pos += n;
    }
    return buf;
  }

  private static String badMeta(ByteBuffer meta, int which) {
    if ((meta.getShort(10) & P_META) == 0 || meta.getInt(16) != MAGIC) {
      return "data.mdb is not an LMDB file (meta page " + which + " has no LMDB magic)";
    }
    if (meta.getInt(20) != VERSION) {
      return "data.mdb is LMDB data version " + meta.getInt(20) + ", not " + VERSION;
    }
    int pageSize = meta.getInt(40);
    if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
      return "data.mdb has a bad page size " + pageSize;
    }
    return null;
  }
}
