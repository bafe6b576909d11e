package io.forkserve.testsupport;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Waits that follow measured progress instead of a number tuned on a quiet machine. A long wait
 * for a count (recycles, requests) keeps going while the count grows, and fails only when it
 * stalls for much longer than the slowest step seen so far: a busy machine gets a later deadline,
 * a hang still fails.
 */
public final class Progress {
  /** How many times the slowest step seen so far a stall may last before the wait fails. */
  public static final int STALL_FACTOR = 5;

  private static final long POLL_MILLIS = 50;

  private Progress() {}

  /**
   * Waits until {@code count} reaches {@code target}. Fails when {@code failed} turns true, or
   * when the count stops growing for longer than the larger of {@code firstStep} and {@link
   * #STALL_FACTOR} times the slowest step between two increases seen so far. Returns the time
   * taken; the failure message says the rate measured so far.
   */
  public static Duration awaitCount(
      LongSupplier count, long target, Duration firstStep, BooleanSupplier failed, String what) {
    long start = System.nanoTime();
    long lastChange = start;
    long slowestStep = 0;
    long last = count.getAsLong();
    long first = last;
    while (last < target) {
      if (failed.getAsBoolean()) {
        throw new AssertionError("gave up waiting for " + what + ": failure seen at " + last);
      }
      long now = System.nanoTime();
      long allowed = Math.max(firstStep.toNanos(), STALL_FACTOR * slowestStep);
      if (now - lastChange > allowed) {
        double seconds = (now - start) / 1e9;
        throw new AssertionError(
            String.format(
                "timed out waiting for %s: %d of %d after %.1f s (%.2f per second; no progress"
                    + " for %.1f s, slowest step %.1f s)",
                what,
                last,
                target,
                seconds,
                (last - first) / seconds,
                (now - lastChange) / 1e9,
                slowestStep / 1e9));
      }
      sleep();
      long current = count.getAsLong();
      if (current > last) {
        long t = System.nanoTime();
        slowestStep = Math.max(slowestStep, (t - lastChange) / (current - last));
        lastChange = t;
        last = current;
      }
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /**
   * Waits until {@code condition} holds. Fails when {@code alive} turns false first, or after
   * {@code limit}: use a limit measured on this run (e.g. a multiple of how long the same thing
   * took at start-up), see {@link #scaled}.
   */
  public static void await(
      BooleanSupplier condition, BooleanSupplier alive, Duration limit, String what) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (!alive.getAsBoolean()) {
        throw new AssertionError("gave up waiting for " + what + ": the process exited");
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what + " (" + limit + ")");
      }
      sleep();
    }
  }

  /**
   * How much slower than an idle machine this one is now: the 1-minute load average per core,
   * at least 1 (read at each call, so a wait started while another build runs gets more time).
   */
  public static double slowdown() {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int cores = Runtime.getRuntime().availableProcessors();
    return load <= 0 ? 1 : Math.max(1, load / cores);
  }

  /**
   * A limit written for an idle machine, stretched by {@link #slowdown()}: for waits on a quick
   * step (a state change, an exit) where no count of progress exists to follow.
   */
  public static Duration stretched(Duration idleLimit) {
    return Duration.ofMillis((long) Math.ceil(idleLimit.toMillis() * slowdown()));
  }

  /**
   * A deadline for a step that on this run took {@code measured} before (a worker start, a
   * scrape): {@code factor} times that, but never less than {@code floor}.
   */
  public static Duration scaled(Duration measured, int factor, Duration floor) {
    Duration d = measured.multipliedBy(factor);
    return d.compareTo(floor) > 0 ? d : floor;
  }

  private static void sleep() {
    try {
      Thread.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
