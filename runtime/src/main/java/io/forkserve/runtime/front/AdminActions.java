package io.forkserve.runtime.front;

/** What the admin endpoint may ask of the server (implemented by ServerApis). Thread-safe. */
public interface AdminActions {
  /**
   * Sets the number of workers of API {@code api} (null: the only API); throws
   * IllegalArgumentException when out of range, for an unknown API or for null with several APIs,
   * and IllegalStateException while the server starts.
   */
  void scaleTo(String api, int workers);

  /**
   * Starts a rolling restart of API {@code api}'s workers (null: every API's);
   * IllegalArgumentException for an unknown API, IllegalStateException while the server starts.
   */
  void reload(String api);
}
