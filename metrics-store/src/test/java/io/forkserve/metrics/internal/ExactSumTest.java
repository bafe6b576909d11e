package io.forkserve.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSumTest {

  @Test
  void add_givesTheCorrectlyRoundedSumInAnyOrder() {
    Random random = new Random(11);
    for (int round = 0; round < 200; round++) {
      List<Double> parts = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        parts.add(random.nextInt(1000) / 100.0 + random.nextDouble() * Math.pow(10, -i));
      }
      double expected = exact(parts).doubleValue();
      for (int order = 0; order < 5; order++) {
        Collections.shuffle(parts, random);
        double[] high = {0.0};
        double[] low = {0.0};
        for (double p : parts) {
          assertEquals(0.0, ExactSum.add(high, low, 0, p), "rest for " + parts);
        }
        assertEquals(expected, high[0], "sum of " + parts);
      }
    }
  }

  @Test
  void add_returnsWhatTwoDoublesCannotHold() {
    double[] high = {1e300};
    double[] low = {0.0};
    assertEquals(0.0, ExactSum.add(high, low, 0, 1.0));
    double rest = ExactSum.add(high, low, 0, 1e-300);
    assertEquals(1e-300, rest);
    assertEquals(1e300, high[0]);
    assertEquals(1.0, low[0]);
  }

  @Test
  void addRoundingUp_neverHoldsLessThanTheExactSum() {
    double[] high = {1e300};
    double[] low = {0.0};
    ExactSum.addRoundingUp(high, low, 0, 1.0);
    ExactSum.addRoundingUp(high, low, 0, 1e-300);
    BigDecimal held = new BigDecimal(high[0]).add(new BigDecimal(low[0]));
    BigDecimal exact = exact(List.of(1e300, 1.0, 1e-300));
    assertTrue(held.compareTo(exact) > 0, held + " < " + exact);
    assertEquals(Math.nextUp(1.0), low[0]);
  }

  @Test
  void add_isPlainIeeeOnceInfiniteOrNan() {
    double[] high = {Double.MAX_VALUE};
    double[] low = {0.0};
    ExactSum.add(high, low, 0, Double.MAX_VALUE);
    assertEquals(Double.POSITIVE_INFINITY, high[0]);
    ExactSum.add(high, low, 0, 1.0);
    assertEquals(Double.POSITIVE_INFINITY, high[0]);
    ExactSum.add(high, low, 0, Double.NaN);
    assertTrue(Double.isNaN(high[0]));
    assertEquals(0.0, low[0]);
  }

  private static BigDecimal exact(List<Double> parts) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double p : parts) {
      sum = sum.add(new BigDecimal(p));
    }
    return sum;
  }
}
