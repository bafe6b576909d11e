package io.forkserve.metrics;

import io.forkserve.metrics.internal.file.ExemplarFile;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The exemplar slots of one series' samples (a counter's {@code _total}, a histogram's buckets),
 * each created in the process's exemplar file on its first exemplar. Thread-safe.
 */
final class ExemplarSlots {
  private final MetricsRegistry registry;
  private final List<String> keys;
  private final AtomicReferenceArray<ExemplarFile.Slot> slots;

  ExemplarSlots(MetricsRegistry registry, List<String> keys) {
    this.registry = registry;
    this.keys = List.copyOf(keys);
    this.slots = new AtomicReferenceArray<>(keys.size());
  }

  /** Stores the exemplar of sample {@code i}; drops it when no slot can be had. */
  void set(int i, ExemplarLabels labels, double value) {
    ExemplarFile.Slot slot = slots.get(i);
    if (slot == null) {
      synchronized (this) {
        slot = slots.get(i);
        if (slot == null) {
          ExemplarFile.Slot created = registry.exemplarSlot(keys.get(i));
          slot = created == null ? ExemplarFile.Slot.NONE : created;
          slots.set(i, slot);
        }
      }
    }
    slot.set(labels.encoded(), value, registry.unixSeconds());
  }
}
