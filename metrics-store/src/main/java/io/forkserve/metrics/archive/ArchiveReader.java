package io.forkserve.metrics.archive;

import io.forkserve.metrics.internal.MergeRule;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * Reading the archive's records inside a read (or the fold's write) transaction: whether a file
 * identity was folded, a series' JSON, and everything the archive holds as {@link
 * ArchiveContents}. Stateless; any thread, any process.
 */
final class ArchiveReader {
  private ArchiveReader() {}

  /** True when {@code fileName} with this identity was folded (see MetricsArchive's protocol). */
  static boolean isFolded(Dbi<ByteBuffer> db, Txn<ByteBuffer> txn, ByteBuffer keyBuffer,
      String fileName, Object fileKey, FileTime lastModified) {
    ByteBuffer v = db.get(txn, ArchiveLayout.put(keyBuffer,
        ArchiveLayout.fileKey(fileName, fileKey)));
    if (v == null) {
      return false;
    }
    String mtime = ArchiveLayout.fields(ArchiveLayout.string(v)).get("mtime");
    return mtime != null && Long.parseLong(mtime) >= lastModified.to(TimeUnit.NANOSECONDS);
  }

  /** Everything {@code env} holds, read in one transaction. */
  static ArchiveContents contents(ArchiveEnv env, Path folder) {
    Txn<ByteBuffer> txn = env.beginRead();
    try {
      List<ArchiveContents.Fold> folds = new ArrayList<>();
      forEachWithPrefix(env.db(), txn, ArchiveLayout.FOLD_PREFIX, (k, v) -> {
        try {
          folds.add(fold(k, ArchiveLayout.string(v)));
        } catch (RuntimeException x) {
          throw new ArchiveDamagedException("metrics archive " + folder + ": bad fold record "
              + ArchiveLayout.shown(k));
        }
      });
      List<ArchiveContents.Series> series = new ArrayList<>();
      forEachWithPrefix(env.db(), txn, ArchiveLayout.SERIES_PREFIX, (k, v) -> {
        if (v.remaining() < ArchiveLayout.VALUE_LENGTH) {
          throw new ArchiveDamagedException("metrics archive " + folder + ": series value of "
              + v.remaining() + " bytes");
        }
        ArchiveLayout.SeriesKey key = ArchiveLayout.SeriesKey.parse(k);
        v.order(ArchiveLayout.ORDER);
        boolean sum = MergeRule.of(key.type, key.rule) == MergeRule.SUM; // time: the remainder
        series.add(new ArchiveContents.Series(key.type, key.mode, key.pid, json(key, v),
            v.getDouble(ArchiveLayout.VALUE_OFFSET),
            sum ? 0.0 : v.getDouble(ArchiveLayout.TIMESTAMP_OFFSET)));
      });
      return new ArchiveContents(folds, series, env.mapSize());
    } finally {
      env.endRead(txn);
    }
  }

  /** The JSON of a series: from the key, or from the value when the key is hashed. */
  static String json(ArchiveLayout.SeriesKey key, ByteBuffer value) {
    if (!key.hashed()) {
      return key.jsonOrHash;
    }
    ByteBuffer rest = value.duplicate();
    rest.position(ArchiveLayout.VALUE_LENGTH);
    return ArchiveLayout.string(rest);
  }

  /** Calls {@code each} with every key starting with {@code prefix} and its value, in order. */
  private static void forEachWithPrefix(Dbi<ByteBuffer> db, Txn<ByteBuffer> txn, String prefix,
      BiConsumer<String, ByteBuffer> each) {
    ByteBuffer start = ByteBuffer.allocateDirect(prefix.length());
    ArchiveLayout.put(start, prefix);
    try (Cursor<ByteBuffer> c = db.openCursor(txn)) {
      boolean found = c.get(start, GetOp.MDB_SET_RANGE);
      while (found) {
        String k = ArchiveLayout.string(c.key());
        if (!k.startsWith(prefix)) {
          return;
        }
        each.accept(k, c.val());
        found = c.next();
      }
    }
  }

  private static ArchiveContents.Fold fold(String key, String record) {
    Map<String, String> f = ArchiveLayout.fields(record);
    return new ArchiveContents.Fold(Long.parseLong(key.substring(key.indexOf('\t') + 1)),
        f.getOrDefault("pid", ""), Instant.parse(f.get("at")), names(f.get("folded")),
        names(f.get("deleted")));
  }

  private static List<String> names(String csv) {
    return csv == null || csv.isEmpty() ? List.of() : List.of(csv.split(","));
  }
}
