package io.forkserve.runtime.front;

import java.util.Map;

/** What the front shows of the state of the server, or of one of its APIs. Thread-safe. */
public interface ServerView {
  /** True when every worker has finished setup and last reported itself healthy. */
  boolean isHealthy();

  /** Workers that finished setup and are connected. */
  int readyWorkers();

  /** Workers the server runs. */
  int workers();

  /** Why the server is unhealthy beyond its workers' state (crash loop, stopping), or null. */
  String unhealthyCause();

  /** One probe's answer: whether it passes, and the fields of its JSON body. */
  record Probe(boolean ok, Map<String, Object> body) {}

  /** {@code GET /health/live}: the supervisor's loops turn. */
  Probe live();

  /** {@code GET /health/ready}: enough workers ready to take traffic, and not draining. */
  Probe ready();

  /** {@code GET /health/startup}: every worker was ready once. */
  Probe startup();

  /** The body of {@code GET /info}: model metadata, workers, settings. */
  Map<String, Object> info();

  /** Each API's own view by API name, in config order (one entry for a one-API server). */
  Map<String, ServerView> apis();
}
