package io.forkserve.metrics.internal;

/**
 * The arithmetic of {@link MergeRule#SUM}: a sum of doubles held exactly as two doubles, {@code
 * high + low}, where {@code high} is the exact sum rounded to the nearest double. Stateless; the
 * caller owns the pairs.
 */
public final class ExactSum {
  /*
   * Why exact: floating-point addition is not associative. The scrape adds a series' live files
   * and then the archive; a fold adds one dead file into the archive first. Summed naively, 0.1 +
   * 0.2 + 0.15 gives 0.45000000000000007 before a fold and 0.2 + (0.15 + 0.1) = 0.45 after it: a
   * counter going back by one ulp, which Prometheus reads as a reset. Held exactly, a total is
   * the correctly rounded value of the exact sum whatever the order of the adds, and rounding is
   * monotonic, so a total only grows as its parts do.
   *
   * One add is three error-free transformations (Knuth's TwoSum: a + b = s + e exactly, with s
   * the rounded sum): high + v = s + e, low + e = t + r, s + t = high' + low'. When r is not 0
   * (the parts' exponents span more than two doubles' 106 bits: rare), r is what the pair could
   * not hold: add returns it for the caller to keep elsewhere (the scrape keeps it in a
   * BigDecimal), and addRoundingUp instead rounds t up past it, so that a stored total (the
   * archive's) is never below the exact one. Once a part or the sum is infinite or NaN, the sum
   * is plain IEEE addition (high holds it, low is 0).
   */

  private ExactSum() {}

  /**
   * Adds {@code value} to the exact sum {@code high[i] + low[i]}; returns the part of the new sum
   * the pair cannot hold (0 unless the parts span more than 106 bits).
   */
  public static double add(double[] high, double[] low, int i, double value) {
    return add(high, low, i, value, false);
  }

  /**
   * Adds {@code value} to the sum {@code high[i] + low[i]}, which afterwards is the exact sum or
   * (rarely) the next larger sum two doubles can hold, never a smaller one.
   */
  public static void addRoundingUp(double[] high, double[] low, int i, double value) {
    add(high, low, i, value, true);
  }

  private static double add(double[] high, double[] low, int i, double value, boolean roundUp) {
    double h = high[i];
    double s = h + value;
    if (!Double.isFinite(s)) {
      high[i] = s;
      low[i] = 0.0;
      return 0.0;
    }
    double e = error(h, value, s);
    double l = low[i];
    double t = l + e;
    double r = error(l, e, t);
    if (roundUp) {
      t = r > 0 ? Math.nextUp(t) : t; // |r| is at most half an ulp of t
      r = 0.0;
    }
    double sum = s + t;
    high[i] = sum;
    low[i] = error(s, t, sum);
    return r;
  }

  /** Knuth's TwoSum: the exact rounding error of {@code sum = a + b}. */
  private static double error(double a, double b, double sum) {
    double bVirtual = sum - a;
    double aVirtual = sum - bVirtual;
    return (a - aVirtual) + (b - bVirtual);
  }
}
