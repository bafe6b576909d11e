package io.forkserve.metrics;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.internal.LazyLogger;
import io.forkserve.metrics.internal.file.MappedValues;
import io.forkserve.metrics.internal.file.MetricFileWriter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * The additive values of one child (a counter's total, a histogram's sum and buckets, a summary's
 * count and sum) in the main file of its type and, once other threads add to it, in stripe files
 * of this process ({@code histogram_PIDsN.db}). Any thread may call {@link #add}; never use it
 * for gauges, whose files are not summed.
 */
abstract class StripedSeries {
  private static final System.Logger LOG = LazyLogger.of(StripedSeries.class);

  /*
   * Single-writer cells. prometheus_client's collector sums counter, histogram and summary
   * entries over all files whatever their ID, so a value may be split over several files of one
   * process and still merge to the same total. A child's values live in cells: cell 0 is its
   * entries in the main file TYPE_PID.db, cell N (1 <= N <= STRIPES) its entries in the stripe
   * file TYPE_PIDsN.db. Cells 0 to STRIPES-1 each have at most one writer, the thread that owns
   * the cell, which adds with an opaque load and an opaque store of the float64: no
   * compare-and-set, no locked instruction, no cache line written by another thread. Cell
   * STRIPES is shared, owned by nobody, and written only by compare-and-set loops.
   *
   * - Fast path: the calling thread owns cell 0. One load of `owner`, a compare with the current
   *   thread, then the opaque add. No allocation, no thread-local. The first thread that adds to
   *   a child claims cell 0 by one compare-and-set on its `owner`.
   * - Other threads look at cells 0 to STRIPES-1 in turn, starting at their thread id modulo
   *   STRIPES (no thread-local: distinct threads start at distinct cells, so a thread usually
   *   finds its own at the first look). Their own, they add there. Else they claim the first
   *   unowned cell they saw (created first if missing, see below) by compare-and-set and add
   *   there; when every cell has another owner, or the claim is lost, they add to the shared
   *   cell by a compare-and-set loop. So every add lands exactly once, and no owned cell is ever
   *   written by a thread other than its owner.
   * - Ownership ends with the thread: on one shared-cell add in 64 (by ThreadLocalRandom), the
   *   adder checks whether the owner of a random cell has terminated and, if so, takes the cell
   *   over by compare-and-set. Thread.isAlive() returning false makes every write of the terminated
   *   thread visible (JLS 17.4.4), so the new owner continues from its last value.
   * - Cell N >= 1 of a child is created on first use under this object's monitor: the registry
   *   appends all the child's keys to TYPE_PIDsN.db (one file per type and N, shared by all
   *   children), then a copy of the array with the new cell is published by a volatile store.
   *   If the registry cannot create it (closed, full disk), the cell is in memory: its adds
   *   count in get() and not in the files, as for any series whose file cannot be written. A
   *   child whose main file could not be written keeps all its cells in memory: its series stays
   *   unrecorded, rather than recorded later from some threads only.
   * - A crash loses nothing: every add is in the mapping when add() returns, and the mapping is
   *   the file's page cache. Readers in other processes see each file as any other; get() sums
   *   the cells with acquire loads.
   */


  /** Owned cells per child, the main file's included: a power of two, at least 4, at most 16. */
  static final int STRIPES = stripes(Runtime.getRuntime().availableProcessors());

  private static final int TAKE_OVER_EVERY = 64;

  private final Cell main;
  private final boolean unrecorded;
  private final IntFunction<MetricFileWriter.Slots> stripeSlots;
  private volatile Cell[] cells; // null until another thread adds: [0] main, [STRIPES] shared

  /**
   * Values at {@code main}'s offsets; {@code stripeSlots} appends the same keys, in the same
   * order, to stripe N (1 or more) and returns their slots.
   */
  StripedSeries(MetricFileWriter.Slots main, IntFunction<MetricFileWriter.Slots> stripeSlots) {
    this.main = new Cell(main);
    this.unrecorded = main.inMemory();
    this.stripeSlots = stripeSlots;
  }

  /** Adds {@code delta} to the {@code value}-th value (in the order of the keys). */
  final void add(int value, double delta) {
    Cell m = main;
    if (m.owner == Thread.currentThread()) {
      m.addOwned(value, delta);
    } else {
      addOther(value, delta);
    }
  }

  private void addOther(int value, double delta) {
    Thread me = Thread.currentThread();
    if (main.owner == null && main.claim(null, me)) {
      main.addOwned(value, delta);
      return;
    }
    Cell[] cs = cells;
    if (cs == null) {
      cs = initCells();
    }
    int start = (int) me.getId();
    int free = -1;
    for (int k = 0; k < STRIPES; k++) {
      int i = (start + k) & (STRIPES - 1);
      Cell c = cs[i];
      Thread owner = c == null ? null : c.owner;
      if (owner == me) {
        c.addOwned(value, delta);
        return;
      }
      if (owner == null && free < 0) {
        free = i;
      }
    }
    if (free >= 0) {
      Cell c = cs[free] != null ? cs[free] : cell(free);
      if (c.claim(null, me)) {
        c.addOwned(value, delta);
        return;
      }
    }
    Cell shared = cs[STRIPES] != null ? cs[STRIPES] : cell(STRIPES);
    shared.addShared(value, delta);
    int r = ThreadLocalRandom.current().nextInt();
    if ((r & (TAKE_OVER_EVERY - 1)) == 0) {
      Cell c = cs[(r >>> 16) & (STRIPES - 1)];
      Thread owner = c == null ? null : c.owner;
      if (owner != null && !owner.isAlive()) {
        c.claim(owner, me);
      }
    }
  }

  private synchronized Cell[] initCells() {
    if (cells == null) {
      Cell[] cs = new Cell[STRIPES + 1];
      cs[0] = main;
      cells = cs;
    }
    return cells;
  }

  /** Cell {@code i} (1 to STRIPES), created on first use; in memory when it cannot be created. */
  private synchronized Cell cell(int i) {
    Cell[] cs = cells;
    if (cs[i] != null) {
      return cs[i];
    }
    Cell c;
    try {
      c = new Cell(unrecorded ? inMemory() : stripeSlots.apply(i));
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "cannot create metrics stripe " + i + ", its values are not recorded: " + e);
      c = new Cell(inMemory());
    }
    Cell[] next = Arrays.copyOf(cs, cs.length);
    next[i] = c;
    cells = next;
    return c;
  }

  private MetricFileWriter.Slots inMemory() {
    return MetricFileWriter.Slots.inMemory(main.offsets.length, FormatVersion.V1);
  }

  /**
   * Adds {@code delta} in cell {@code i} (0 to STRIPES) by compare-and-set, creating it if
   * needed. Test seam: only while no other thread adds to this child.
   */
  final void addInStripe(int i, int value, double delta) {
    Cell[] cs = cells != null ? cells : initCells();
    Cell c = cs[i] != null ? cs[i] : cell(i);
    c.addShared(value, delta);
  }

  /** The sum over the cells of the {@code value}-th value, in this process. */
  final double sum(int value) {
    Cell[] cs = cells;
    if (cs == null) {
      return main.get(value);
    }
    double sum = 0;
    for (Cell c : cs) {
      if (c != null) {
        sum += c.get(value);
      }
    }
    return sum;
  }

  /** Cells in use, the main file's included (1 until a second thread adds). */
  final int stripeCount() {
    Cell[] cs = cells;
    return cs == null ? 1 : (int) Arrays.stream(cs).filter(c -> c != null).count();
  }

  /** The thread that owns cell {@code i} (0 to STRIPES - 1), or null. Test seam. */
  final Thread owner(int i) {
    Cell[] cs = cells;
    Cell c = i == 0 ? main : cs == null ? null : cs[i];
    return c == null ? null : c.owner;
  }

  /** The least power of two at least {@code cores}, clamped to [4, 16]. */
  static int stripes(int cores) {
    return Math.min(16, Math.max(4, Integer.highestOneBit(Math.max(1, cores - 1)) << 1));
  }

  /** One file's mapping, the child's value offsets in it, and the thread that writes them. */
  private static final class Cell {
    private static final VarHandle OWNER;

    static {
      try {
        OWNER = MethodHandles.lookup().findVarHandle(Cell.class, "owner", Thread.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final ByteBuffer buffer;
    final int[] offsets;
    /** Set by compare-and-set only: from null, or from a terminated thread. */
    Thread owner;

    Cell(MetricFileWriter.Slots slots) {
      this.buffer = slots.buffer();
      this.offsets = new int[slots.size()];
      for (int k = 0; k < offsets.length; k++) {
        offsets[k] = slots.valueOffset(k);
      }
    }

    boolean claim(Thread from, Thread to) {
      return OWNER.compareAndSet(this, from, to);
    }

    /** Adds as the owner: this cell's only writer. */
    void addOwned(int value, double delta) {
      int offset = offsets[value];
      MappedValues.putDoubleOpaque(
          buffer, offset, MappedValues.getDoubleOpaque(buffer, offset) + delta);
    }

    /** Adds by compare-and-set: for the shared cell, never one with an owner. */
    void addShared(int value, double delta) {
      MappedValues.getAndAddDouble(buffer, offsets[value], delta);
    }

    double get(int value) {
      return MappedValues.getDoubleAcquire(buffer, offsets[value]);
    }
  }
}
