package io.forkserve.micrometer;

import io.micrometer.core.instrument.Clock;

/**
 * The clock a timer's or summary's time-window max records with: its wall time is the one read
 * by the meter's last {@link #refresh} (each {@code max()} refreshes it first), so a record reads
 * a volatile field instead of the system clock. Thread-safe.
 */
final class ReadClock implements Clock {
  /*
   * Micrometer's TimeWindowMax reads wallTime() on every record to see whether its ring of
   * maxima is due to rotate; on a virtual machine's clock (kvm-clock) that read is a large part
   * of a Timer.record(). Here records see the time of the last max(), which the sampler calls
   * for every timer and summary each interval (1 s by default) and which reads the real clock
   * first, so a rotation happens when due or, when it falls between two reads, at the next read:
   * at most one sampler interval late. The one difference a user can see: a value recorded in
   * the interval before a late rotation is also recorded in the ring slot that rotation clears,
   * so it leaves the window one rotation (a third of the expiry, 40 s by default) early, while the
   * max shown in the meantime still includes it.
   */

  private final Clock clock;
  private volatile long wallTime;

  ReadClock(Clock clock) {
    this.clock = clock;
    this.wallTime = clock.wallTime();
  }

  /** Reads the real clock; records see this time until the next refresh. */
  void refresh() {
    wallTime = clock.wallTime();
  }

  @Override
  public long wallTime() {
    return wallTime;
  }

  @Override
  public long monotonicTime() {
    return clock.monotonicTime();
  }
}
