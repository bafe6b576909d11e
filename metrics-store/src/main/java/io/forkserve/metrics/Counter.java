package io.forkserve.metrics;

import io.forkserve.metrics.internal.file.MetricFileWriter;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.model.MetricType;
import java.util.List;

/**
 * A monotonically increasing counter. The family name drops a trailing {@code _total}; the sample
 * is always {@code NAME_total}, as in prometheus_client. Thread-safe.
 *
 * <pre>{@code
 * Counter requests = Counter.builder("requests").help("Requests.").labelNames("route")
 *     .register(registry);
 * Counter.Child a = requests.labels("/a");   // cache this handle
 * a.inc();
 * }</pre>
 */
public final class Counter {

  private final Children<CounterChild> children;

  private Counter(Builder b, MetricsRegistry registry) {
    String family = b.name.endsWith("_total") ? b.name.substring(0, b.name.length() - 6) : b.name;
    Names.checkMetricName(family);
    List<String> labelNames = Names.checkLabelNames(family, b.labelNames);
    String sample = family + "_total";
    registry.reserve(family, List.of(sample, family + "_created"));
    this.children =
        new Children<>(
            family,
            labelNames,
            registry,
            values -> {
              List<String> keys =
                  List.of(MetricKey.encode(family, sample, labelNames, values, b.help));
              return new CounterChild(
                  registry.slots(MetricType.COUNTER, null, keys),
                  registry.stripeFiles(MetricType.COUNTER, null, keys),
                  new ExemplarSlots(registry, keys));
            });
  }

  /** A builder for a counter named {@code name} ({@code jobs} or {@code jobs_total}). */
  public static Builder builder(String name) {
    return new Builder(Names.checkMetricName(name));
  }

  /** The cached child for these label values (one per label name, in order). */
  public Child labels(String... labelValues) {
    return children.labels(labelValues);
  }

  /** The unlabelled series; IllegalStateException when the counter has label names. */
  public Child unlabelled() {
    return children.unlabelled();
  }

  /** Increments the unlabelled series by 1. */
  public void inc() {
    children.unlabelled().inc();
  }

  /** Increments the unlabelled series; {@code amount} must be non-negative. */
  public void inc(double amount) {
    children.unlabelled().inc(amount);
  }

  /** Increments the unlabelled series, with an exemplar (null: none). */
  public void inc(double amount, ExemplarLabels exemplar) {
    children.unlabelled().inc(amount, exemplar);
  }

  /** One labelled series; holds its value's offsets in the mapped files. Thread-safe. */
  public interface Child {
    /** Adds 1. */
    void inc();

    /** Adds {@code amount}, which must be non-negative. */
    void inc(double amount);

    /**
     * As {@link #inc(double)}, and makes {@code exemplar} (null: none) with {@code amount} and
     * the current time this series' exemplar, replacing the previous one. The default (for other
     * implementations) ignores the exemplar.
     */
    default void inc(double amount, ExemplarLabels exemplar) {
      inc(amount);
    }

    /** The current value in this process. */
    double get();
  }

  static final class CounterChild extends StripedSeries implements Child {
    private final ExemplarSlots exemplars;

    CounterChild(
        MetricFileWriter.Slots slots,
        StripedSeries.StripeFiles stripes,
        ExemplarSlots exemplars) {
      super(slots, stripes);
      this.exemplars = exemplars;
    }

    @Override
    public void inc(double amount, ExemplarLabels exemplar) {
      inc(amount);
      if (exemplar != null) {
        exemplars.set(0, exemplar, amount);
      }
    }

    @Override
    public void inc() {
      add(0, 1.0);
    }

    @Override
    public void inc(double amount) {
      if (!(amount >= 0)) {
        throw new IllegalArgumentException("a counter can only increase, not by " + amount);
      }
      add(0, amount);
    }

    @Override
    public double get() {
      return sum(0);
    }
  }

  /** Builder for {@link Counter}. */
  public static final class Builder extends MetricBuilder<Builder> {

    private Builder(String name) {
      super(name);
    }

    @Override
    Builder self() {
      return this;
    }

    /** Creates the counter in {@code registry}; an unlabelled counter's entry is written now. */
    public Counter register(MetricsRegistry registry) {
      return new Counter(this, registry);
    }
  }
}
