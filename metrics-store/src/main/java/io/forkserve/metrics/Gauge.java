package io.forkserve.metrics;

/**
 * A value that goes up and down; {@link GaugeMode} says how processes' values merge.
 *
 * <p>API STUB: signatures are the contract.
 */
public final class Gauge {
  private Gauge() {}

  public static Builder builder(String name) {
    throw new UnsupportedOperationException("stub");
  }

  public Child labels(String... labelValues) {
    throw new UnsupportedOperationException("stub");
  }

  public void set(double value) {
    throw new UnsupportedOperationException("stub");
  }

  public void inc(double amount) {
    throw new UnsupportedOperationException("stub");
  }

  public void dec(double amount) {
    throw new UnsupportedOperationException("stub");
  }

  /** One labelled series. Thread-safe. */
  public interface Child {
    /** Sets the value (and, in the mostrecent modes, the timestamp: now). */
    void set(double value);

    void inc();

    void inc(double amount);

    void dec();

    void dec(double amount);

    double get();
  }

  /** Builder for {@link Gauge}; the mode defaults to {@link GaugeMode#ALL}. */
  public static final class Builder {
    private Builder() {}

    public Builder help(String help) {
      throw new UnsupportedOperationException("stub");
    }

    public Builder labelNames(String... labelNames) {
      throw new UnsupportedOperationException("stub");
    }

    public Builder mode(GaugeMode mode) {
      throw new UnsupportedOperationException("stub");
    }

    public Gauge register(MetricsRegistry registry) {
      throw new UnsupportedOperationException("stub");
    }
  }
}
