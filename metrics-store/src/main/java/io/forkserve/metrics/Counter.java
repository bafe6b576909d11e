package io.forkserve.metrics;

/**
 * A monotonically increasing counter. The family name drops a trailing {@code _total}; the
 * sample is always {@code NAME_total}, as in prometheus_client.
 *
 * <p>API STUB: signatures are the contract.
 * <pre>{@code
 * Counter requests = Counter.builder("requests").help("Requests.").labelNames("route")
 *     .register(registry);
 * Counter.Child a = requests.labels("/a");   // cache this handle
 * a.inc();
 * }</pre>
 */
public final class Counter {
  private Counter() {}

  public static Builder builder(String name) {
    throw new UnsupportedOperationException("stub");
  }

  /** The cached child for these label values (one per label name, in order). */
  public Child labels(String... labelValues) {
    throw new UnsupportedOperationException("stub");
  }

  /** Increments the unlabelled series by 1. */
  public void inc() {
    throw new UnsupportedOperationException("stub");
  }

  /** Increments the unlabelled series; {@code amount} must be non-negative. */
  public void inc(double amount) {
    throw new UnsupportedOperationException("stub");
  }

  /** One labelled series; holds its value's offset in the mapped file. Thread-safe. */
  public interface Child {
    void inc();

    void inc(double amount);

    double get();
  }

  /** Builder for {@link Counter}. */
  public static final class Builder {
    private Builder() {}

    public Builder help(String help) {
      throw new UnsupportedOperationException("stub");
    }

    public Builder labelNames(String... labelNames) {
      throw new UnsupportedOperationException("stub");
    }

    public Counter register(MetricsRegistry registry) {
      throw new UnsupportedOperationException("stub");
    }
  }
}
