package io.forkserve.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds observations that give a histogram child exactly the non-cumulative bucket counts and the
 * float sum of a Python-written file, so a test can reproduce it through {@link
 * Histogram.Child#observe}. Every observation lands in its bucket; the last one (the carrier)
 * absorbs what is left of the sum, so the running double sum ends exactly on it.
 */
final class Observations {
  private Observations() {}

  static double[] solve(double[] bounds, double[] counts, double sum) {
    int n = bounds.length;
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    if (total == 0) {
      if (sum != 0) {
        throw new IllegalStateException("histogram with no observations but sum " + sum);
      }
      return new double[0];
    }
    double finiteMax = n > 1 ? bounds[n - 2] : bounds[0];
    double width = 4 * Math.max(1, Math.abs(sum)) + Math.abs(bounds[0]) + Math.abs(finiteMax);
    double[] lo = new double[n];
    double[] hi = new double[n];
    for (int i = 0; i < n; i++) {
      lo[i] = i == 0 ? bounds[0] - width : bounds[i - 1];
      hi[i] = i == n - 1 ? finiteMax + width : bounds[i];
    }
    for (int carrier = 0; carrier < n; carrier++) {
      if (counts[carrier] > 0) {
        double[] found = tryCarrier(lo, hi, counts, sum, carrier);
        if (found != null) {
          return found;
        }
      }
    }
    throw new IllegalStateException("no observations reproduce this histogram child");
  }

  private static double[] tryCarrier(
      double[] lo, double[] hi, double[] counts, double sum, int carrier) {
    double tLo = 0;
    double tHi = 1;
    for (int i = 0; i < 200; i++) {
      double t = (tLo + tHi) / 2;
      if (runningSum(values(lo, hi, counts, t, -1)) < sum) {
        tLo = t;
      } else {
        tHi = t;
      }
    }
    List<Double> others = values(lo, hi, counts, (tLo + tHi) / 2, carrier);
    double partial = runningSum(others);
    double x = sum - partial;
    for (int step = 0; step < 16; step++) {
      double candidate = step % 2 == 0 ? nudge(x, step / 2) : nudge(x, -(step / 2 + 1));
      if (candidate > lo[carrier] && candidate <= hi[carrier] && partial + candidate == sum) {
        double[] out = new double[others.size() + 1];
        for (int i = 0; i < others.size(); i++) {
          out[i] = others.get(i);
        }
        out[others.size()] = candidate;
        return out;
      }
    }
    return null;
  }

  /** One value per observation, bucket by bucket, leaving out one observation of skip. */
  private static List<Double> values(
      double[] lo, double[] hi, double[] counts, double t, int skip) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < counts.length; i++) {
      double rep = Math.min(hi[i], Math.max(Math.nextUp(lo[i]), lo[i] + t * (hi[i] - lo[i])));
      for (int k = i == skip ? 1 : 0; k < counts[i]; k++) {
        out.add(rep);
      }
    }
    return out;
  }

  private static double runningSum(List<Double> values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s;
  }

  private static double nudge(double x, int ulps) {
    double v = x;
    for (int i = 0; i < Math.abs(ulps); i++) {
      v = ulps > 0 ? Math.nextUp(v) : Math.nextDown(v);
    }
    return v;
  }
}
