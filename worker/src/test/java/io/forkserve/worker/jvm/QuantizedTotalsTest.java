package io.forkserve.worker.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sampler's counters are written in steps of 2^-20, so a slot's total does not depend on the
 * order the merge adds files and the archive in (a fold must never look like a counter reset).
 */
class QuantizedTotalsTest {
  @Test
  void sumsOfQuantizedStepsDoNotDependOnOrder() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      List<Double> steps = new ArrayList<>();
      double total = 0;
      double last = 0;
      for (int i = 0; i < 50; i++) {
        total += random.nextDouble() * 0.37; // CPU seconds as a JVM reports them
        double q = JvmSampler.quantized(total);
        steps.add(q - last);
        last = q;
      }
      double forward = 0;
      for (double step : steps) {
        forward += step;
      }
      // what a fold does: part of the steps summed first (the archive), then the rest added
      Collections.shuffle(steps, random);
      int cut = random.nextInt(steps.size());
      double archived = 0;
      for (double step : steps.subList(0, cut)) {
        archived += step;
      }
      double live = 0;
      for (double step : steps.subList(cut, steps.size())) {
        live += step;
      }
      assertEquals(forward, archived + live, 0.0, "round " + round);
      assertEquals(last, forward, 0.0);
    }
  }

  @Test
  void unquantizedFractionsDoDependOnOrder() {
    // the failure the quantum prevents: the same three values, two orders, two sums
    assertTrue(0.1 + 0.2 + 0.3 != 0.1 + (0.2 + 0.3));
  }

  @Test
  void quantizedIsAtMostOneQuantumBelow() {
    double v = 3.14;
    double q = JvmSampler.quantized(v);
    assertTrue(q <= v && v - q < 1.0 / (1 << 20), q + " for " + v);
  }
}
