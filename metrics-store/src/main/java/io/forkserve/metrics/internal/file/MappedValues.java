package io.forkserve.metrics.internal.file;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * Atomic access to the int32 and float64 fields of a mapped metric file. Offsets are absolute and
 * must be aligned (4 for ints, 8 for longs and doubles); every value in the format is. Stateless:
 * safe from any thread on a shared buffer, since it never touches the buffer's position or limit.
 *
 * <p>Not user API: public for the metric classes of {@code io.forkserve.metrics}.
 */
public final class MappedValues {
  private static final VarHandle INTS =
      MethodHandles.byteBufferViewVarHandle(int[].class, FileLayout.ORDER);
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, FileLayout.ORDER);
  private static final VarHandle DOUBLES =
      MethodHandles.byteBufferViewVarHandle(double[].class, FileLayout.ORDER);

  private MappedValues() {}

  /** Reads an int32 with acquire semantics (e.g. {@code used}). */
  public static int getIntAcquire(ByteBuffer buffer, int offset) {
    return (int) INTS.getAcquire(buffer, offset);
  }

  /** Stores an int32 with release semantics: every earlier write is visible before it. */
  public static void putIntRelease(ByteBuffer buffer, int offset, int value) {
    INTS.setRelease(buffer, offset, value);
  }

  /** Reads the raw bits of a float64 with acquire semantics. */
  public static long getLongAcquire(ByteBuffer buffer, int offset) {
    return (long) LONGS.getAcquire(buffer, offset);
  }

  /** Stores raw float64 bits with release semantics. */
  public static void putLongRelease(ByteBuffer buffer, int offset, long value) {
    LONGS.setRelease(buffer, offset, value);
  }

  /** Compare-and-set on raw float64 bits, with volatile semantics. */
  public static boolean compareAndSetLong(ByteBuffer buffer, int offset, long expected, long next) {
    return LONGS.compareAndSet(buffer, offset, expected, next);
  }

  /** Reads a float64 with acquire semantics. */
  public static double getDoubleAcquire(ByteBuffer buffer, int offset) {
    return Double.longBitsToDouble(getLongAcquire(buffer, offset));
  }

  /**
   * Reads a float64 atomically (never torn) without ordering: for the one thread that writes the
   * value, reading back its own last store.
   */
  public static double getDoubleOpaque(ByteBuffer buffer, int offset) {
    return (double) DOUBLES.getOpaque(buffer, offset);
  }

  /**
   * Stores a float64 atomically (never torn) without ordering: a plain 8-byte store, for a value
   * that only the calling thread writes. Other threads and processes see it soon, and a crash
   * after it returns keeps it (the mapping's page is the file's).
   */
  public static void putDoubleOpaque(ByteBuffer buffer, int offset, double value) {
    DOUBLES.setOpaque(buffer, offset, value);
  }

  /** Stores a float64 with release semantics. */
  public static void putDoubleRelease(ByteBuffer buffer, int offset, double value) {
    putLongRelease(buffer, offset, Double.doubleToRawLongBits(value));
  }

  /**
   * Tries once to add {@code delta} to a float64: one load and one compare-and-set on the raw bits.
   * False when another thread changed the value in between (contention); nothing was added then.
   */
  public static boolean tryAddDouble(ByteBuffer buffer, int offset, double delta) {
    long prev = (long) LONGS.getOpaque(buffer, offset);
    long next = Double.doubleToRawLongBits(Double.longBitsToDouble(prev) + delta);
    return LONGS.compareAndSet(buffer, offset, prev, next);
  }

  /**
   * Atomically adds {@code delta} to a float64 (a compare-and-set loop on the raw bits) and returns
   * the previous value.
   */
  public static double getAndAddDouble(ByteBuffer buffer, int offset, double delta) {
    // A failed exchange hands back the value it found: retry from it, without another load.
    long prev = (long) LONGS.getOpaque(buffer, offset);
    while (true) {
      long next = Double.doubleToRawLongBits(Double.longBitsToDouble(prev) + delta);
      long witness = (long) LONGS.compareAndExchange(buffer, offset, prev, next);
      if (witness == prev) {
        return Double.longBitsToDouble(prev);
      }
      prev = witness;
    }
  }
}
