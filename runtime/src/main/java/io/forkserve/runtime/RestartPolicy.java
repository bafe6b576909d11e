package io.forkserve.runtime;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.DoubleSupplier;

/**
 * When to restart a failed worker and when failures amount to a crash loop. Not thread-safe: the
 * supervisor calls it under its lock.
 */
final class RestartPolicy {
  /*
   * Backoff. The n-th consecutive failure of one worker slot waits min(max, base * 2^(n-1)),
   * scaled by a random factor in [0.5, 1) so that workers failing together do not restart
   * together. A slot's count resets when its worker becomes ready.
   *
   * Crash loop. Every unexpected exit is recorded on the clock; when `limit` of them fall within
   * `window`, the server is in a crash loop: it reports unhealthy and says why once. Restarts go
   * on at the capped delay, so a fixed cause (a restored model file) heals the server.
   */

  private final long baseNanos;
  private final long maxNanos;
  private final int limit;
  private final long windowNanos;
  private final DoubleSupplier random;
  private final Deque<Long> failures = new ArrayDeque<>();

  RestartPolicy(long baseNanos, long maxNanos, int limit, long windowNanos, DoubleSupplier random) {
    this.baseNanos = baseNanos;
    this.maxNanos = Math.max(baseNanos, maxNanos);
    this.limit = limit;
    this.windowNanos = windowNanos;
    this.random = random;
  }

  /** The policy of {@code settings}, with a random backoff factor. */
  static RestartPolicy of(Settings settings) {
    return new RestartPolicy(
        settings.restartBackoffNanos,
        settings.restartBackoffMaxNanos,
        settings.crashLoopRestarts,
        settings.crashLoopWindowNanos,
        () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
  }

  /** The delay before restarting after the {@code consecutive}-th failure in a row (from 1). */
  long delayNanos(int consecutive) {
    int shift = Math.min(Math.max(consecutive, 1) - 1, 40);
    long capped = baseNanos > (maxNanos >> shift) ? maxNanos : baseNanos << shift;
    return (long) (capped * (0.5 + 0.5 * random.getAsDouble()));
  }

  /** Records a failure at {@code now}; true when the failures in the window reach the limit. */
  boolean failed(long now) {
    failures.addLast(now);
    while (now - failures.peekFirst() > windowNanos) {
      failures.removeFirst();
    }
    return failures.size() >= limit;
  }

  /** Failures within the window ending {@code now}. */
  int recentFailures(long now) {
    failures.removeIf(t -> now - t > windowNanos);
    return failures.size();
  }
}
