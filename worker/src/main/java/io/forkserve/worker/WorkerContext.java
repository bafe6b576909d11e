package io.forkserve.worker;

import io.forkserve.metrics.MetricsRegistry;
import java.util.Map;

/** What {@link ServingApi#setup} learns about the worker it runs in. Immutable. */
public final class WorkerContext {
  private final int workerIndex;
  private final int workerCount;
  private final String device;
  private final Map<String, String> config;
  private final MetricsRegistry metrics;

  /** A context; called by the worker process, or by tests of user code. */
  public WorkerContext(
      int workerIndex,
      int workerCount,
      String device,
      Map<String, String> config,
      MetricsRegistry metrics) {
    this.workerIndex = workerIndex;
    this.workerCount = workerCount;
    this.device = device;
    this.config = Map.copyOf(config);
    this.metrics = metrics;
  }

  /** This worker's index, 0 to {@code workerCount() - 1}. */
  public int workerIndex() {
    return workerIndex;
  }

  /** How many workers the server runs. */
  public int workerCount() {
    return workerCount;
  }

  /** The device given to this worker by {@code --devices} ({@code cuda:1}), or {@code cpu}. */
  public String device() {
    return device;
  }

  /** The server settings (max batch size, timeouts...) by flag name, as strings. */
  public Map<String, String> config() {
    return config;
  }

  /**
   * This worker's metrics registry, for user metrics merged into {@code /metrics}; null when the
   * worker runs without a metrics directory (unit tests of user code).
   */
  public MetricsRegistry metrics() {
    return metrics;
  }
}
