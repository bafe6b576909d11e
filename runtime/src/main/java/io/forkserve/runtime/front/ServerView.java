package io.forkserve.runtime.front;

import java.util.Map;

/** What the front shows of the server's state; implemented by the supervisor. Thread-safe. */
public interface ServerView {
  /** True when every worker has finished setup and last reported itself healthy. */
  boolean isHealthy();

  /** Workers that finished setup and are connected. */
  int readyWorkers();

  /** Workers the server runs. */
  int workers();

  /** The body of {@code GET /info}: model metadata, workers, settings. */
  Map<String, Object> info();
}
