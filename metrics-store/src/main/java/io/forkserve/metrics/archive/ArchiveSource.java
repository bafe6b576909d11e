package io.forkserve.metrics.archive;

import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.merge.MergeSource;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * The archive as a merge source for one scraper: one read transaction per scrape, opened after
 * the scraper read the files (see {@link MetricsArchive}'s protocol). Not thread-safe: one per
 * scraper; begin, holds, entries and end run on the scraping thread.
 */
final class ArchiveSource implements MergeSource {
  /*
   * The series are iterated in key order, which is stable from one scrape to the next, so the
   * decoded form of the i-th key is cached and reused while the i-th key's bytes are unchanged:
   * a scrape compares bytes and reads two doubles per entry, and decodes only new series. A
   * summed series' second double is the remainder of its exact sum (ArchiveLayout): it is fed as
   * a second entry of the same series, which the scrape adds exactly.
   */

  private static final System.Logger LOG = System.getLogger(ArchiveSource.class.getName());

  private final MetricsArchive archive;
  private final List<Decoded> decoded = new ArrayList<>();
  private final ByteBuffer seriesPrefix = ByteBuffer.allocateDirect(64);
  private ByteBuffer keyBuffer;
  private ArchiveEnv env;
  private Txn<ByteBuffer> txn;
  private int seenResets;

  ArchiveSource(MetricsArchive archive) {
    this.archive = archive;
    ArchiveLayout.put(seriesPrefix, ArchiveLayout.SERIES_PREFIX);
  }

  /**
   * Checks the archive (the owner replaces a damaged one), reports each replacement once by
   * throwing, then begins the read transaction; see MetricsArchive's protocol.
   */
  @Override
  public void beginScrape() {
    env = null;
    ArchiveEnv e = archive.usableEnv();
    int resets = archive.resets();
    if (resets != seenResets) {
      seenResets = resets;
      throw new ArchiveDamagedException(archive.lastDamage());
    }
    if (e != null) {
      txn = e.beginRead();
      env = e;
    }
  }

  @Override
  public boolean holds(String fileName, Object fileKey, FileTime lastModified) {
    if (txn == null || fileKey == null) {
      return false;
    }
    if (keyBuffer == null) {
      keyBuffer = ByteBuffer.allocateDirect(env.maxKeySize());
    }
    return ArchiveReader.isFolded(env.db(), txn, keyBuffer, fileName, fileKey, lastModified);
  }

  @Override
  public void forEachEntry(EntrySink sink) {
    if (txn == null) {
      return;
    }
    try (Cursor<ByteBuffer> c = env.db().openCursor(txn)) {
      int i = 0;
      boolean found = c.get(seriesPrefix, GetOp.MDB_SET_RANGE);
      while (found && startsWith(c.key(), seriesPrefix)) {
        if (c.val().remaining() < ArchiveLayout.VALUE_LENGTH) {
          throw new ArchiveDamagedException("metrics archive " + archive.folder()
              + ": series value of " + c.val().remaining() + " bytes");
        }
        Decoded d = decode(i++, c.key(), c.val());
        if (d != null) {
          ByteBuffer v = c.val().order(ArchiveLayout.ORDER);
          double value = v.getDouble(ArchiveLayout.VALUE_OFFSET);
          double time = v.getDouble(ArchiveLayout.TIMESTAMP_OFFSET);
          if (d.sum) { // the remainder of an exact sum: one more entry of the same series
            sink.accept(d.key.type, d.key.mode, d.key.pid, d.json, value, 0.0);
            if (time != 0.0) {
              sink.accept(d.key.type, d.key.mode, d.key.pid, d.json, time, 0.0);
            }
          } else {
            sink.accept(d.key.type, d.key.mode, d.key.pid, d.json, value, time);
          }
        }
        found = c.next();
      }
    }
  }

  @Override
  public void endScrape() {
    Txn<ByteBuffer> t = txn;
    txn = null;
    if (t != null) {
      env.endRead(t);
    }
  }

  @Override
  public String toString() {
    return "ArchiveSource[" + archive.folder() + "]";
  }

  private Decoded decode(int i, ByteBuffer key, ByteBuffer value) {
    if (i < decoded.size() && decoded.get(i) != null && decoded.get(i).bytes.equals(key)) {
      return decoded.get(i);
    }
    Decoded d;
    try {
      byte[] bytes = new byte[key.remaining()];
      key.duplicate().get(bytes);
      ArchiveLayout.SeriesKey k = ArchiveLayout.SeriesKey.parse(ArchiveLayout.string(key));
      d = new Decoded(ByteBuffer.wrap(bytes), k, ArchiveReader.json(k, value));
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "metrics archive entry skipped: " + e.getMessage());
      d = null;
    }
    while (decoded.size() <= i) {
      decoded.add(null);
    }
    decoded.set(i, d);
    return d;
  }

  private static boolean startsWith(ByteBuffer key, ByteBuffer prefix) {
    int n = prefix.remaining();
    if (key.remaining() < n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (key.get(key.position() + i) != prefix.get(prefix.position() + i)) {
        return false;
      }
    }
    return true;
  }

  /** A decoded series key and the bytes it was decoded from. */
  private static final class Decoded {
    final ByteBuffer bytes;
    final ArchiveLayout.SeriesKey key;
    final String json;
    final boolean sum;

    Decoded(ByteBuffer bytes, ArchiveLayout.SeriesKey key, String json) {
      this.bytes = bytes;
      this.key = key;
      this.json = json;
      this.sum = MergeRule.of(key.type, key.rule) == MergeRule.SUM;
    }
  }
}
