package io.forkserve.metrics;

import io.forkserve.metrics.internal.file.MetricFileWriter;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.model.MetricType;
import java.util.List;

/**
 * Count and sum of observations (no quantiles, as in prometheus_client's multiprocess mode). A
 * child's entries are {@code NAME_count} then {@code NAME_sum}. Thread-safe.
 */
public final class Summary {

  private final Children<SummaryChild> children;

  private Summary(Builder b, MetricsRegistry registry) {
    List<String> labelNames = Names.checkLabelNames(b.name, b.labelNames, "quantile");
    String count = b.name + "_count";
    String sum = b.name + "_sum";
    registry.reserve(b.name, List.of(count, sum, b.name + "_created"));
    this.children =
        new Children<>(
            b.name,
            labelNames,
            registry,
            values -> {
              List<String> keys =
                  List.of(
                      MetricKey.encode(b.name, count, labelNames, values, b.help),
                      MetricKey.encode(b.name, sum, labelNames, values, b.help));
              return new SummaryChild(
                  registry.slots(MetricType.SUMMARY, null, keys),
                  registry.stripeFiles(MetricType.SUMMARY, null, keys));
            });
  }

  /** A builder for a summary named {@code name}. */
  public static Builder builder(String name) {
    return new Builder(Names.checkMetricName(name));
  }

  /** The cached child for these label values (one per label name, in order). */
  public Child labels(String... labelValues) {
    return children.labels(labelValues);
  }

  /** Observes {@code value} in the unlabelled series. */
  public void observe(double value) {
    children.unlabelled().observe(value);
  }

  /** The unlabelled series; IllegalStateException when the summary has label names. */
  public Child unlabelled() {
    return children.unlabelled();
  }

  /** One labelled series. Thread-safe. */
  public interface Child {
    /** Adds 1 to the count and {@code value} to the sum. */
    void observe(double value);

    /** The number of observations in this process. */
    double count();

    /** The sum of the values observed in this process. */
    double sum();
  }

  static final class SummaryChild extends StripedSeries implements Child {
    SummaryChild(
        MetricFileWriter.Slots slots, StripedSeries.StripeFiles stripes) {
      super(slots, stripes);
    }

    @Override
    public void observe(double value) {
      add(0, 1.0);
      add(1, value);
    }

    @Override
    public double count() {
      return sum(0);
    }

    @Override
    public double sum() {
      return sum(1);
    }
  }

  /** Builder for {@link Summary}. */
  public static final class Builder extends MetricBuilder<Builder> {

    private Builder(String name) {
      super(name);
    }

    @Override
    Builder self() {
      return this;
    }

    /** Creates the summary in {@code registry}; an unlabelled summary's entries are written now. */
    public Summary register(MetricsRegistry registry) {
      return new Summary(this, registry);
    }
  }
}
