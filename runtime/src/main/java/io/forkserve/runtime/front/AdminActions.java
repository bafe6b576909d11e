package io.forkserve.runtime.front;

/** What the admin endpoint may ask of the server; implemented by the supervisor. Thread-safe. */
public interface AdminActions {
  /** Sets the number of workers; throws IllegalArgumentException when out of range. */
  void scaleTo(int workers);

  /** Starts a rolling restart of every worker. */
  void reload();
}
