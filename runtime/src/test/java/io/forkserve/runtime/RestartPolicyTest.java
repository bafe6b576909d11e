package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RestartPolicyTest {
  static final long MS = 1_000_000;

  @Test
  void delayDoublesUpToTheCap() {
    RestartPolicy policy = new RestartPolicy(100 * MS, 1000 * MS, 5, 60_000 * MS, () -> 0.999999);
    assertEquals(100, policy.delayNanos(1) / MS, 1);
    assertEquals(200, policy.delayNanos(2) / MS, 1);
    assertEquals(400, policy.delayNanos(3) / MS, 1);
    assertEquals(800, policy.delayNanos(4) / MS, 1);
    assertEquals(1000, policy.delayNanos(5) / MS, 1);
    assertEquals(1000, policy.delayNanos(500) / MS, 1);
  }

  @Test
  void jitterKeepsTheDelayBetweenHalfAndAll() {
    RestartPolicy low = new RestartPolicy(100 * MS, 1000 * MS, 5, 60_000 * MS, () -> 0.0);
    assertEquals(50 * MS, low.delayNanos(1));
    assertEquals(500 * MS, low.delayNanos(9));
  }

  @Test
  void crashLoopNeedsLimitFailuresWithinTheWindow() {
    RestartPolicy policy = new RestartPolicy(MS, MS, 3, 10_000 * MS, () -> 0.5);
    long now = 0;
    assertFalse(policy.failed(now));
    assertFalse(policy.failed(now += 6_000 * MS));
    assertFalse(policy.failed(now += 6_000 * MS), "the first failure left the window");
    assertTrue(policy.failed(now += 1_000 * MS));
    assertEquals(0, policy.recentFailures(now + 20_000 * MS));
  }
}
