package io.forkserve.metrics;

/**
 * Count and sum of observations (no quantiles, as in prometheus_client's multiprocess mode).
 *
 * <p>API STUB: signatures are the contract.
 */
public final class Summary {
  private Summary() {}

  public static Builder builder(String name) {
    throw new UnsupportedOperationException("stub");
  }

  public Child labels(String... labelValues) {
    throw new UnsupportedOperationException("stub");
  }

  public void observe(double value) {
    throw new UnsupportedOperationException("stub");
  }

  /** One labelled series. Thread-safe. */
  public interface Child {
    void observe(double value);
  }

  /** Builder for {@link Summary}. */
  public static final class Builder {
    private Builder() {}

    public Builder help(String help) {
      throw new UnsupportedOperationException("stub");
    }

    public Builder labelNames(String... labelNames) {
      throw new UnsupportedOperationException("stub");
    }

    public Summary register(MetricsRegistry registry) {
      throw new UnsupportedOperationException("stub");
    }
  }
}
