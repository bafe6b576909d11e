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
   *   If the registry is closed, the cell is in memory for good: its adds count in get() only.
   * - A stripe file that cannot be written (full disk) gives an unwritten cell, in memory, whose
   *   value is carried into the file once space is back. Every write of an unwritten cell, its
   *   owner's included, holds this object's monitor and first checks that the cell is still in
   *   `cells`; if not, the add starts over from the scan. An add that is not the owned fast path
   *   reads `retryAt` and, at most once per RETRY_MILLIS of the registry's clock, retries under
   *   the monitor: each unwritten cell whose file can now be written is replaced by a file cell
   *   that holds the old cell's values and its owner, all in one new array published by a
   *   volatile store. Since no write of the old cell can happen outside the monitor, nor after
   *   it left `cells`, its value is carried exactly once; get() reads one array, so it sums
   *   either the old cell or the new one, never both. A thread that claims the old cell after
   *   the copy finds it gone at its first add and scans again. The main owner's adds never
   *   retry (no cost on the fast path): only adds of other threads carry the values over.
   * - A child whose main file could not be written keeps all its cells in memory, with no
   *   retry: its series stays unrecorded, rather than recorded later from some threads only.
   * - A crash loses nothing: every add is in the mapping when add() returns, and the mapping is
   *   the file's page cache. Readers in other processes see each file as any other; get() sums
   *   the cells with acquire loads.
   */


  /** Owned cells per child, the main file's included: a power of two, at least 4, at most 16. */
  static final int STRIPES = stripes(Runtime.getRuntime().availableProcessors());

  /** Least time between two retries of a child's unwritten cells, by the registry's clock. */
  static final long RETRY_MILLIS = 1000;

  private static final int TAKE_OVER_EVERY = 64;
  private static final long NO_RETRY = Long.MIN_VALUE;

  private final Cell main;
  private final boolean unrecorded;
  private final StripeFiles stripes;
  private volatile Cell[] cells; // null until another thread adds: [0] main, [STRIPES] shared
  private volatile long retryAt = NO_RETRY; // registry millis of the next retry, if any

  /** Where a child's stripe cells come from: the registry. */
  interface StripeFiles {
    /** Slots for the child's keys, in order, in stripe {@code n}; in memory when unwritable. */
    MetricFileWriter.Slots create(int n);

    /** As {@link #create}, but null (and not counted) when the file still cannot be written. */
    MetricFileWriter.Slots retry(int n);

    /** The registry clock's time in milliseconds. */
    long millis();
  }

  /** Values at {@code main}'s offsets; {@code stripes} gives the stripe cells. */
  StripedSeries(MetricFileWriter.Slots main, StripeFiles stripes) {
    this.main = new Cell(main, false);
    this.unrecorded = main.inMemory();
    this.stripes = stripes;
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
    if (retryAt != NO_RETRY) {
      retryUnwritten();
    }
    while (!tryAddOther(me, value, delta)) {
      // an unwritten cell was replaced by its file cell meanwhile: scan again
    }
  }

  /** One scan and add; false when the cell chosen was an unwritten one already replaced. */
  private boolean tryAddOther(Thread me, int value, double delta) {
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
        return addOwned(i, c, value, delta);
      }
      if (owner == null && free < 0) {
        free = i;
      }
    }
    if (free >= 0) {
      Cell c = cs[free] != null ? cs[free] : cell(free);
      if (c.claim(null, me)) {
        return addOwned(free, c, value, delta);
      }
    }
    Cell shared = cs[STRIPES] != null ? cs[STRIPES] : cell(STRIPES);
    if (!addShared(STRIPES, shared, value, delta)) {
      return false;
    }
    int r = ThreadLocalRandom.current().nextInt();
    if ((r & (TAKE_OVER_EVERY - 1)) == 0) {
      Cell c = cs[(r >>> 16) & (STRIPES - 1)];
      Thread owner = c == null ? null : c.owner;
      if (owner != null && !owner.isAlive()) {
        c.claim(owner, me);
      }
    }
    return true;
  }

  private boolean addOwned(int i, Cell c, int value, double delta) {
    if (c.unwritten) {
      return addUnwritten(i, c, value, delta);
    }
    c.addOwned(value, delta);
    return true;
  }

  private boolean addShared(int i, Cell c, int value, double delta) {
    if (c.unwritten) {
      return addUnwritten(i, c, value, delta);
    }
    c.addShared(value, delta);
    return true;
  }

  /** Adds in unwritten cell {@code c} under the monitor; false if it is no longer cell i. */
  private synchronized boolean addUnwritten(int i, Cell c, int value, double delta) {
    if (cells[i] != c) {
      return false;
    }
    c.addOwned(value, delta); // every writer of c holds the monitor: one at a time
    return true;
  }

  /** Replaces the unwritten cells whose file can now be written; paced by RETRY_MILLIS. */
  private void retryUnwritten() {
    long now = stripes.millis();
    if (!due(now)) {
      return;
    }
    synchronized (this) {
      if (!due(now)) { // another thread retried meanwhile
        return;
      }
      Cell[] next = cells.clone();
      boolean left = false;
      try {
        for (int i = 1; i <= STRIPES && !left; i++) {
          Cell c = next[i];
          if (c != null && c.unwritten) {
            MetricFileWriter.Slots slots = stripes.retry(i);
            if (slots == null) {
              left = true; // the disk is still full: the next retry tries the rest
            } else {
              next[i] = c.carriedInto(new Cell(slots, false));
            }
          }
        }
      } catch (RuntimeException e) { // closed registry: the cells stay in memory for good
        LOG.log(System.Logger.Level.WARNING,
            "cannot create metrics stripe, its values stay unrecorded: " + e);
        left = false;
      }
      cells = next;
      retryAt = left ? now + RETRY_MILLIS : NO_RETRY;
    }
  }

  /** True when a retry is pending and its time has come (or the clock went back). */
  private boolean due(long now) {
    long at = retryAt;
    return at != NO_RETRY && (now >= at || at - now > RETRY_MILLIS);
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
    if (unrecorded) {
      c = new Cell(inMemory(), false);
    } else {
      try {
        MetricFileWriter.Slots slots = stripes.create(i);
        c = new Cell(slots, slots.inMemory());
        if (c.unwritten && retryAt == NO_RETRY) {
          retryAt = stripes.millis() + RETRY_MILLIS;
        }
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "cannot create metrics stripe " + i + ", its values are not recorded: " + e);
        c = new Cell(inMemory(), false);
      }
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
   * Adds {@code delta} in cell {@code i} (0 to STRIPES), creating it if needed, as the shared
   * cell is written. Test seam: only while no other thread adds to this child.
   */
  final void addInStripe(int i, int value, double delta) {
    Cell[] cs = cells != null ? cells : initCells();
    Cell c = cs[i] != null ? cs[i] : cell(i);
    if (!addShared(i, c, value, delta)) {
      throw new IllegalStateException("cell " + i + " replaced while a test seam added to it");
    }
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

  /** Cells in memory waiting for their stripe file (unwritten). Test seam. */
  final int unwrittenCount() {
    Cell[] cs = cells;
    return cs == null ? 0 : (int) Arrays.stream(cs).filter(c -> c != null && c.unwritten).count();
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
    /** In memory until its stripe file can be written: written under the series' monitor. */
    final boolean unwritten;
    /** Set by compare-and-set only: from null, or from a terminated thread. */
    Thread owner;

    Cell(MetricFileWriter.Slots slots, boolean unwritten) {
      this.unwritten = unwritten;
      this.buffer = slots.buffer();
      this.offsets = new int[slots.size()];
      for (int k = 0; k < offsets.length; k++) {
        offsets[k] = slots.valueOffset(k);
      }
    }

    /**
     * {@code file}, unpublished, with this cell's values added and its owner; under the series'
     * monitor, so that no add of this unwritten cell runs meanwhile.
     */
    Cell carriedInto(Cell file) {
      for (int k = 0; k < offsets.length; k++) {
        file.addOwned(k, get(k));
      }
      file.owner = owner;
      return file;
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
