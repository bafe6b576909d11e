package io.forkserve.worker.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LivenessTest {
  long now = 1_000;

  @Test
  void idleIsAlive() {
    Liveness liveness = new Liveness(() -> now);
    now += 1_000_000_000;
    assertTrue(liveness.isAlive(10));
  }

  @Test
  void busyLongerThanThePeriodIsSilentUntilProgress() {
    Liveness liveness = new Liveness(() -> now);
    liveness.busy();
    now += 5;
    assertTrue(liveness.isAlive(10));
    now += 10;
    assertFalse(liveness.isAlive(10), "stuck in one piece of work");
    liveness.busy(); // a streamed chunk
    assertTrue(liveness.isAlive(10));
    now += 20;
    liveness.idle();
    assertTrue(liveness.isAlive(10));
  }
}
