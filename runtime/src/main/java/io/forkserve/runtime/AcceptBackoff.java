package io.forkserve.runtime;

import io.forkserve.runtime.internal.Clock;

/**
 * What an accept loop does when accepting fails (EMFILE, ENFILE, ENOMEM...): it waits before the
 * next try, doubling from {@link #FIRST_PAUSE_MILLIS} to {@link #MAX_PAUSE_MILLIS}, and says so
 * once per {@link #LOG_INTERVAL_NANOS}, with the number of failures since the last line, instead
 * of once per failure. A successful accept resets the pause. One loop's state; not thread-safe.
 */
final class AcceptBackoff {
  static final long FIRST_PAUSE_MILLIS = 10;
  static final long MAX_PAUSE_MILLIS = 1000;
  static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  /** Where a line goes; the supervisor's logger in production, a list in tests. */
  interface Log {
    void warn(String line);
  }

  private final String what;
  private final Clock clock;
  private final Log log;
  private long pauseMillis;
  private long lastLogNanos;
  private boolean logged;
  private long unreported;

  AcceptBackoff(String what, Clock clock, Log log) {
    this.what = what;
    this.clock = clock;
    this.log = log;
  }

  /** An accept succeeded: the next failure waits the shortest pause again. */
  void succeeded() {
    pauseMillis = 0;
  }

  /**
   * An accept failed with {@code message}: logs when the interval allows and returns how long to
   * wait before the next try, in milliseconds.
   */
  long failed(String message) {
    unreported++;
    long now = clock.nanoTime();
    if (!logged || now - lastLogNanos >= LOG_INTERVAL_NANOS) {
      String repeats = unreported > 1 ? " (" + unreported + " failures since the last report)" : "";
      log.warn(what + " failed: " + message + repeats + "; retrying with back-off");
      logged = true;
      lastLogNanos = now;
      unreported = 0;
    }
    pauseMillis =
        pauseMillis == 0 ? FIRST_PAUSE_MILLIS : Math.min(MAX_PAUSE_MILLIS, pauseMillis * 2);
    return pauseMillis;
  }
}
