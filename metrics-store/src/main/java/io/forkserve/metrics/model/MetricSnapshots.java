package io.forkserve.metrics.model;

/**
 * Immutable result of one merge: metric families in exposition order.
 *
 * <p>API STUB: the merge work fills in families, samples and validation.
 */
public final class MetricSnapshots {
  private MetricSnapshots() {}
}
