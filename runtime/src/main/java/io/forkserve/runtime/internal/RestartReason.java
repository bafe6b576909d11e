package io.forkserve.runtime.internal;

/** Why the supervisor started or stopped a worker: the label values of the restart counter. */
public enum RestartReason {
  /** The worker exited without being asked to. */
  CRASH,
  /** The worker's heartbeat was silent for --worker-timeout; it was killed. */
  TIMEOUT,
  /** The worker reached --max-requests or --max-worker-rss and was replaced. */
  RECYCLE,
  /** The number of workers changed. */
  SCALE,
  /** A rolling restart replaced the worker. */
  RELOAD;

  /** The label value, e.g. {@code crash}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
