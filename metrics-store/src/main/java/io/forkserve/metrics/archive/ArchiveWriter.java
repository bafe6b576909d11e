package io.forkserve.metrics.archive;

import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.model.Labels;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lmdbjava.Dbi;
import org.lmdbjava.Txn;

/**
 * The records a fold writes in its LMDB write transaction: each entry merged into its archived
 * series by the series' merge rule, each folded file's identity, the fold record and the meta
 * keys (fold count, format). One per fold, on the folding thread: the key and value buffers are
 * reused from one write to the next.
 */
final class ArchiveWriter {
  private final ArchiveEnv env;
  private final Clock clock;
  private ByteBuffer keyBuffer;
  private ByteBuffer valueBuffer = ByteBuffer.allocateDirect(256);

  ArchiveWriter(ArchiveEnv env, Clock clock) {
    this.env = env;
    this.clock = clock;
  }

  /** True when {@code fileName} with these attributes was folded already. */
  boolean isFolded(Txn<ByteBuffer> txn, String fileName, BasicFileAttributes attrs) {
    return ArchiveReader.isFolded(env.db(), txn, keyBuffer(), fileName, attrs.fileKey(),
        attrs.lastModifiedTime());
  }

  /** Adds one entry of {@code file} to its archived series. */
  void addEntry(Txn<ByteBuffer> txn, MetricFileName file, EntryKey key, double value,
      double timestamp) {
    MergeRule rule = file.mode() == null ? null : file.rule();
    String json = json(key);
    String seriesKey = ArchiveLayout.seriesKey(file.type(), rule,
        rule == MergeRule.ALL ? file.id() : "", json, env.maxKeySize());
    ByteBuffer k = ArchiveLayout.put(keyBuffer(), seriesKey);
    ByteBuffer old = env.db().get(txn, k);
    double v = value;
    double t = timestamp;
    if (old != null) {
      old.order(ArchiveLayout.ORDER);
      double[] merged = merge(file.rule(), old.getDouble(ArchiveLayout.VALUE_OFFSET),
          old.getDouble(ArchiveLayout.TIMESTAMP_OFFSET), value, timestamp);
      v = merged[0];
      t = merged[1];
    }
    byte[] extra = ArchiveLayout.isHashed(seriesKey)
        ? json.getBytes(StandardCharsets.UTF_8) : new byte[0];
    ByteBuffer val = valueBuffer(ArchiveLayout.VALUE_LENGTH + extra.length);
    val.putDouble(ArchiveLayout.VALUE_OFFSET, v).putDouble(ArchiveLayout.TIMESTAMP_OFFSET, t);
    val.position(ArchiveLayout.VALUE_LENGTH);
    val.put(extra).flip();
    env.db().put(txn, k, val);
  }

  /**
   * Combines an archived value and time with a folded one by the series' merge rule; returns the
   * new value and time.
   */
  static double[] merge(MergeRule rule, double oldValue, double oldTime, double value,
      double time) {
    if (rule == MergeRule.MOSTRECENT) {
      return MergeRule.isNewer(time, oldTime)
          ? new double[] {value, time} : new double[] {oldValue, oldTime};
    }
    return new double[] {rule.combine(oldValue, value), rule == MergeRule.ALL ? time : 0.0};
  }

  /** Records that the file {@code name} with these attributes is folded (its identity). */
  void recordFile(Txn<ByteBuffer> txn, String name, MetricFileName fileName,
      BasicFileAttributes attrs) {
    String record = "mtime=" + attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "\tsize="
        + attrs.size() + "\tpid=" + fileName.processId() + "\tfold=" + (folds(txn) + 1);
    env.db().put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.fileKey(name, attrs.fileKey())),
        value(record));
  }

  /** Records the fold of {@code id}, its number and the archive's format marker. */
  void recordFold(Txn<ByteBuffer> txn, String id, List<String> folded,
      List<String> deletedOnly) {
    long seq = folds(txn) + 1;
    Dbi<ByteBuffer> db = env.db();
    String record = "pid=" + id + "\tat=" + Instant.now(clock) + "\tfolded="
        + String.join(",", folded) + "\tdeleted=" + String.join(",", deletedOnly);
    db.put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.foldKey(seq)), value(record));
    db.put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.META_FOLDS),
        value(Long.toString(seq)));
    db.put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.META_FORMAT),
        value(ArchiveLayout.FORMAT));
  }

  private long folds(Txn<ByteBuffer> txn) {
    ByteBuffer v = env.db().get(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.META_FOLDS));
    return v == null ? 0 : Long.parseLong(ArchiveLayout.string(v));
  }

  private ByteBuffer keyBuffer() {
    if (keyBuffer == null) {
      keyBuffer = ByteBuffer.allocateDirect(env.maxKeySize());
    }
    return keyBuffer;
  }

  private ByteBuffer valueBuffer(int length) {
    if (valueBuffer.capacity() < length) {
      valueBuffer = ByteBuffer.allocateDirect(Math.max(length, 2 * valueBuffer.capacity()));
    }
    valueBuffer.clear().limit(length);
    return valueBuffer.order(ArchiveLayout.ORDER);
  }

  private ByteBuffer value(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    ByteBuffer val = valueBuffer(bytes.length);
    val.put(bytes).flip();
    return val;
  }

  /** The entry key JSON as prometheus_client writes it. */
  private static String json(EntryKey key) {
    Labels labels = key.labels();
    String[] names = new String[labels.size()];
    String[] values = new String[labels.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = labels.name(i);
      values[i] = labels.value(i);
    }
    return MetricKey.encode(key.metricName(), key.sampleName(), Arrays.asList(names),
        Arrays.asList(values), key.help());
  }
}
