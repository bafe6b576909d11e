package io.forkserve.runtime.front;

/** What the admin endpoint may ask of the server; implemented by the supervisor. Thread-safe. */
public interface AdminActions {
  /**
   * Sets the number of workers; throws IllegalArgumentException when out of range and
   * IllegalStateException while the server starts.
   */
  void scaleTo(int workers);

  /** Starts a rolling restart of every worker; IllegalStateException while the server starts. */
  void reload();
}
