package io.forkserve.metrics;

/**
 * Classic histogram: one non-cumulative count per bucket and a sum, as prometheus_client stores
 * them. {@code _count} is derived from the {@code +Inf} bucket at merge time.
 *
 * <p>API STUB: signatures are the contract.
 */
public final class Histogram {
  /** Prometheus's default buckets; {@code +Inf} is always added. */
  public static final double[] DEFAULT_BUCKETS = {
    .005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0
  };

  private Histogram() {}

  public static Builder builder(String name) {
    throw new UnsupportedOperationException("stub");
  }

  public Child labels(String... labelValues) {
    throw new UnsupportedOperationException("stub");
  }

  public void observe(double value) {
    throw new UnsupportedOperationException("stub");
  }

  /** One labelled series. Thread-safe; {@code observe} allocates nothing. */
  public interface Child {
    void observe(double value);
  }

  /** Builder for {@link Histogram}. */
  public static final class Builder {
    private Builder() {}

    public Builder help(String help) {
      throw new UnsupportedOperationException("stub");
    }

    public Builder labelNames(String... labelNames) {
      throw new UnsupportedOperationException("stub");
    }

    /** Upper bounds, strictly increasing; {@code +Inf} is added when missing. */
    public Builder buckets(double... upperBounds) {
      throw new UnsupportedOperationException("stub");
    }

    public Histogram register(MetricsRegistry registry) {
      throw new UnsupportedOperationException("stub");
    }
  }
}
