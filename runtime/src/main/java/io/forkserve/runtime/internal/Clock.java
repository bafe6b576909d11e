package io.forkserve.runtime.internal;

/** Monotonic time for timeouts and durations; injected so tests can move time by hand. */
@FunctionalInterface
public interface Clock {
  /** The system's monotonic clock. */
  Clock SYSTEM = System::nanoTime;

  /** Nanoseconds from an arbitrary origin, never going backwards. */
  long nanoTime();
}
