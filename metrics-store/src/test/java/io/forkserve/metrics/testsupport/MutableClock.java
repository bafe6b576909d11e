package io.forkserve.metrics.testsupport;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock the test sets; for the timestamps of mostrecent gauges. */
public final class MutableClock extends Clock {
  private volatile Instant now = Instant.EPOCH;

  /** Sets the time to Unix seconds {@code seconds} (as Python's time.time() returned it). */
  public void setUnixSeconds(double seconds) {
    long whole = (long) Math.floor(seconds);
    long nanos = Math.round((seconds - whole) * 1e9);
    now = Instant.ofEpochSecond(whole, nanos);
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException();
  }
}
