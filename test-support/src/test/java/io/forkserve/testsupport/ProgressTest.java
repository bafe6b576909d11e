package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void aStalledCountFailsAfterTheFirstStepLimit() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> Progress.awaitCount(() -> 0, 1, Duration.ofMillis(200), () -> false, "nothing"));
    assertTrue(e.getMessage().contains("0 of 1"), e.getMessage());
  }

  @Test
  void aGrowingCountGoesOnPastTheFirstStepLimit() {
    long start = System.nanoTime();
    AtomicLong calls = new AtomicLong();
    // one step per ~4 polls: slow, but steady; the whole wait takes longer than firstStep
    Progress.awaitCount(
        () -> calls.incrementAndGet() / 4, 10, Duration.ofMillis(400), () -> false, "steps");
    assertTrue(System.nanoTime() - start > Duration.ofMillis(400).toNanos());
  }

  @Test
  void aFailureEndsTheWait() {
    assertThrows(
        AssertionError.class,
        () -> Progress.awaitCount(() -> 0, 1, Duration.ofMinutes(1), () -> true, "failed"));
  }

  @Test
  void aStretchedLimitIsNeverShorterThanTheIdleOne() {
    assertTrue(Progress.stretched(Duration.ofSeconds(5)).compareTo(Duration.ofSeconds(5)) >= 0);
    assertTrue(Progress.slowdown() >= 1);
  }
}
