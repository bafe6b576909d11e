package io.forkserve.metrics.merge;

import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricFileReader;
import io.forkserve.metrics.model.MetricType;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;

/** One file identity: its reader and the slot of each decoded entry. */
final class FileState {
  final MetricFileReader reader;
  final Object fileKey;
  FileTime lastModified;
  int generation;
  int mapped;
  int[] slots = new int[16];
  double[] values = new double[0];
  double[] timestamps = new double[0];
  boolean captured;
  /** Values left out by the last combine: forbidden for the file's type. */
  int invalid;

  FileState(MetricFileReader reader, Object fileKey) {
    this.reader = reader;
    this.fileKey = fileKey;
  }

  /** Adds this file's values to the table; returns the number of new entries ignored. */
  int combine(SeriesTable table) {
    if (reader.generation() != generation) {
      generation = reader.generation();
      mapped = 0;
    }
    int n = reader.entryCount();
    int ignored = n > mapped ? mapNew(table, n) : 0;
    MetricType type = reader.name().type();
    invalid = 0;
    for (int i = 0; i < n; i++) {
      int slot = slots[i];
      if (slot >= 0) {
        double value = captured ? values[i] : reader.value(i);
        if (MergeRule.forbidden(type, value)) {
          invalid++;
          continue;
        }
        table.add(slot, value, captured ? timestamps[i] : reader.timestamp(i));
      }
    }
    captured = false;
    return ignored;
  }

  /** Copies the values of the last read, which the next file's read overwrites. */
  void capture() {
    int n = reader.entryCount();
    if (values.length < n) {
      values = new double[Math.max(n, 2 * values.length)];
      timestamps = new double[values.length];
    }
    for (int i = 0; i < n; i++) {
      values[i] = reader.value(i);
      timestamps[i] = reader.timestamp(i);
    }
    captured = true;
  }

  private int mapNew(SeriesTable table, int n) {
    if (slots.length < n) {
      slots = Arrays.copyOf(slots, Math.max(n, slots.length * 2));
    }
    MetricFileName name = reader.name();
    int ignored = 0;
    for (int i = mapped; i < n; i++) {
      EntryKey key = reader.key(i);
      boolean reserved = key.metricName().equals(DirectoryScraper.SKIPPED_FILES)
          || key.metricName().equals(DirectoryScraper.FILE_SKIPS);
      slots[i] = reserved ? -1 : table.slotFor(name.type(), name.rule(), name.id(), key);
      ignored += slots[i] < 0 ? 1 : 0;
    }
    mapped = n;
    return ignored;
  }
}
