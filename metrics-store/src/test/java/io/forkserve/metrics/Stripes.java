package io.forkserve.metrics;

/** Test seam for other packages' tests: forces an addition into a stripe file of a child. */
public final class Stripes {
  private Stripes() {}

  /** Adds {@code delta} to the {@code value}-th value of {@code child} in stripe {@code stripe}. */
  public static void add(Object child, int stripe, int value, double delta) {
    ((StripedSeries) child).addInStripe(stripe, value, delta);
  }

  /** The thread that owns cell {@code cell} of {@code child} (0: the main file), or null. */
  public static Thread owner(Object child, int cell) {
    return ((StripedSeries) child).owner(cell);
  }

  /** The cells of {@code child} in memory, waiting for a stripe file that could not be made. */
  public static int unwritten(Object child) {
    return ((StripedSeries) child).unwrittenCount();
  }

  /** The stripes {@code child} uses, its main file included. */
  public static int count(Object child) {
    return ((StripedSeries) child).stripeCount();
  }
}
