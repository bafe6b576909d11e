package io.forkserve.metrics;

import io.forkserve.metrics.internal.file.MappedValues;
import io.forkserve.metrics.internal.file.MetricFileWriter;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The additive values of one child (a counter's total, a histogram's sum and buckets, a summary's
 * count and sum) in the main file of its type and, once threads contend for them, in stripe files
 * of this process ({@code histogram_PIDsN.db}). Any thread may call {@link #add}; never use it
 * for gauges, whose files are not summed.
 */
abstract class StripedSeries {
  /*
   * Striping, after LongAdder's cells. prometheus_client's collector sums counter, histogram and
   * summary entries over all files whatever their ID, so a value may be split over several files
   * of one process and still merges to the same total.
   *
   * - Uncontended: add() sees `stripes` null and tries ONE load + compare-and-set on the main
   *   file. Nothing else happens on this path: no allocation, no thread-local.
   * - Contended: a failed compare-and-set means another thread changed the value in between.
   *   The adder then takes its thread's probe (a thread-local int), picks stripe
   *   `probe & (STRIPES - 1)` (stripe 0 is the main file) and tries one compare-and-set there;
   *   on failure it rehashes its probe (xorshift) and tries another stripe, and after
   *   MAX_TRIES it falls back to a compare-and-set loop on the last stripe, so every add lands
   *   exactly once. Once `stripes` is set, every add takes this path, as LongAdder's do.
   * - Stripe N of a child is created on first use under this object's monitor: the registry
   *   appends all the child's keys to TYPE_PIDsN.db (one file per type and stripe, shared by
   *   all contended children), then a copy of the array with the new Stripe is published by a
   *   volatile store. Stripes are immutable. If a stripe cannot be created (registry closed,
   *   disk full) its index maps to the main file from then on.
   * - Readers in other processes see each file as any other; our get() sums the stripes.
   */

  private static final System.Logger LOG = System.getLogger(StripedSeries.class.getName());

  /** Stripes per child, the main file included: a power of two, at least 4, at most 16. */
  static final int STRIPES = stripes(Runtime.getRuntime().availableProcessors());

  private static final int MAX_TRIES = 3;
  private static final ThreadLocal<int[]> PROBE =
      ThreadLocal.withInitial(() -> new int[] {seed()});

  private final ByteBuffer buffer;
  private final int[] offsets;
  private final IntFunction<MetricFileWriter.Slots> stripeSlots;
  private volatile Stripe[] stripes;

  /**
   * Values at {@code main}'s offsets; {@code stripeSlots} appends the same keys, in the same
   * order, to stripe N (1 or more) and returns their slots.
   */
  StripedSeries(MetricFileWriter.Slots main, IntFunction<MetricFileWriter.Slots> stripeSlots) {
    this.buffer = main.buffer();
    this.offsets = new int[main.size()];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = main.valueOffset(i);
    }
    this.stripeSlots = stripeSlots;
  }

  /** Adds {@code delta} to the {@code value}-th value (in the order of the keys). */
  final void add(int value, double delta) {
    if (stripes != null || !MappedValues.tryAddDouble(buffer, offsets[value], delta)) {
      addContended(value, delta);
    }
  }

  private void addContended(int value, double delta) {
    Stripe[] ss = stripes;
    if (ss == null) {
      ss = initStripes();
    }
    int[] probe = PROBE.get();
    int h = probe[0];
    for (int tries = 0; ; tries++) {
      Stripe s = ss[h & (STRIPES - 1)];
      if (s == null) {
        s = stripe(h & (STRIPES - 1));
      }
      int offset = s.offsets[value];
      if (tries == MAX_TRIES) {
        MappedValues.getAndAddDouble(s.buffer, offset, delta);
        break;
      }
      if (MappedValues.tryAddDouble(s.buffer, offset, delta)) {
        break;
      }
      h ^= h << 13;
      h ^= h >>> 17;
      h ^= h << 5;
    }
    if (h != probe[0]) {
      probe[0] = h; // moved: start there next time
    }
  }

  private synchronized Stripe[] initStripes() {
    if (stripes == null) {
      Stripe[] ss = new Stripe[STRIPES];
      ss[0] = new Stripe(buffer, offsets);
      stripes = ss;
    }
    return stripes;
  }

  /** Stripe {@code i}, created on first use; the main file's when it cannot be created. */
  private synchronized Stripe stripe(int i) {
    Stripe[] ss = stripes;
    if (ss[i] != null) {
      return ss[i];
    }
    Stripe s;
    try {
      MetricFileWriter.Slots slots = stripeSlots.apply(i);
      int[] o = new int[offsets.length];
      for (int k = 0; k < o.length; k++) {
        o[k] = slots.valueOffset(k);
      }
      s = new Stripe(slots.buffer(), o);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "cannot create metrics stripe " + i + ", using the main file: " + e);
      s = ss[0];
    }
    Stripe[] next = Arrays.copyOf(ss, ss.length);
    next[i] = s;
    stripes = next;
    return s;
  }

  /** Adds {@code delta} in stripe {@code i}, creating it if needed. Test seam. */
  final void addInStripe(int i, int value, double delta) {
    Stripe[] ss = stripes != null ? stripes : initStripes();
    Stripe s = ss[i] != null ? ss[i] : stripe(i);
    MappedValues.getAndAddDouble(s.buffer, s.offsets[value], delta);
  }

  /** The sum over the stripes of the {@code value}-th value, in this process. */
  final double sum(int value) {
    Stripe[] ss = stripes;
    if (ss == null) {
      return MappedValues.getDoubleAcquire(buffer, offsets[value]);
    }
    double sum = 0;
    for (int i = 0; i < ss.length; i++) {
      if (ss[i] != null && (i == 0 || ss[i] != ss[0])) {
        sum += MappedValues.getDoubleAcquire(ss[i].buffer, ss[i].offsets[value]);
      }
    }
    return sum;
  }

  /** Stripes in use, the main file included (1 until the first contention). */
  final int stripeCount() {
    Stripe[] ss = stripes;
    return ss == null ? 1 : (int) Arrays.stream(ss).filter(s -> s != null).distinct().count();
  }

  /** The least power of two at least {@code cores}, clamped to [4, 16]. */
  static int stripes(int cores) {
    return Math.min(16, Math.max(4, Integer.highestOneBit(Math.max(1, cores - 1)) << 1));
  }

  private static int seed() {
    int h = System.identityHashCode(Thread.currentThread()) * 0x9E3779B9;
    return h == 0 ? 1 : h;
  }

  /** One file's mapping and the child's value offsets in it. Immutable. */
  private static final class Stripe {
    final ByteBuffer buffer;
    final int[] offsets;

    Stripe(ByteBuffer buffer, int[] offsets) {
      this.buffer = buffer;
      this.offsets = offsets;
    }
  }
}
