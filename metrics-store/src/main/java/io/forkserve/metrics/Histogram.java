package io.forkserve.metrics;

import io.forkserve.metrics.internal.FloatFormat;
import io.forkserve.metrics.internal.file.MetricFileWriter;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.model.MetricType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Classic histogram: one non-cumulative count per bucket and a sum, as prometheus_client stores
 * them. {@code _count} is derived from the {@code +Inf} bucket at merge time. A child's entries are
 * {@code NAME_sum}, then one {@code NAME_bucket} per bound with label {@code le} written as
 * prometheus_client does ({@code 0.1}, {@code 1.0}, {@code +Inf}). Thread-safe.
 */
public final class Histogram {
  /** Prometheus's default buckets; {@code +Inf} is always added. */
  public static final double[] DEFAULT_BUCKETS = {
    .005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0
  };


  private final Children<HistogramChild> children;

  private Histogram(Builder b, MetricsRegistry registry) {
    List<String> labelNames = Names.checkLabelNames(b.name, b.labelNames, "le");
    double[] bounds = withInfinity(b.name, b.upperBounds);
    String sum = b.name + "_sum";
    String bucket = b.name + "_bucket";
    registry.reserve(b.name, List.of(bucket, b.name + "_count", sum, b.name + "_created"));
    List<String> bucketLabelNames = new ArrayList<>(labelNames);
    bucketLabelNames.add("le");
    List<String> le = new ArrayList<>(bounds.length);
    for (double bound : bounds) {
      le.add(FloatFormat.goString(bound));
    }
    this.children =
        new Children<>(
            b.name,
            labelNames,
            registry,
            values -> {
              List<String> keys = new ArrayList<>(bounds.length + 1);
              keys.add(MetricKey.encode(b.name, sum, labelNames, values, b.help));
              for (String bound : le) {
                List<String> bucketValues = new ArrayList<>(values);
                bucketValues.add(bound);
                keys.add(MetricKey.encode(b.name, bucket, bucketLabelNames, bucketValues, b.help));
              }
              return new HistogramChild(
                  registry.slots(MetricType.HISTOGRAM, null, keys),
                  registry.stripeFiles(MetricType.HISTOGRAM, null, keys),
                  bounds,
                  new ExemplarSlots(registry, keys.subList(1, keys.size())));
            });
  }

  /** The bounds, checked strictly increasing, with {@code +Inf} appended when missing. */
  private static double[] withInfinity(String name, double[] upperBounds) {
    for (int i = 0; i < upperBounds.length; i++) {
      if (Double.isNaN(upperBounds[i]) || (i > 0 && !(upperBounds[i - 1] < upperBounds[i]))) {
        throw new IllegalArgumentException(
            "histogram "
                + name
                + ": bucket bounds must be strictly increasing numbers, got "
                + Arrays.toString(upperBounds));
      }
    }
    int n = upperBounds.length;
    boolean hasInf = n > 0 && upperBounds[n - 1] == Double.POSITIVE_INFINITY;
    if (n - (hasInf ? 1 : 0) == 0) {
      throw new IllegalArgumentException(
          "histogram " + name + ": needs at least one finite bucket bound");
    }
    double[] bounds = Arrays.copyOf(upperBounds, hasInf ? n : n + 1);
    bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
    return bounds;
  }

  /** A builder for a histogram named {@code name}, with {@link #DEFAULT_BUCKETS}. */
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

  /** The unlabelled series; IllegalStateException when the histogram has label names. */
  public Child unlabelled() {
    return children.unlabelled();
  }

  /** Observes {@code value} in the unlabelled series, with an exemplar (null: none). */
  public void observe(double value, ExemplarLabels exemplar) {
    children.unlabelled().observe(value, exemplar);
  }

  /** One labelled series. Thread-safe; {@code observe} allocates nothing. */
  public interface Child {
    /** Adds 1 to the first bucket whose bound is at least {@code value}, and value to the sum. */
    void observe(double value);

    /**
     * As {@link #observe(double)}, and makes {@code exemplar} (null: none) with this value and
     * the current time the exemplar of the bucket the value falls in, replacing the previous one.
     * The default (for other implementations) ignores the exemplar.
     */
    default void observe(double value, ExemplarLabels exemplar) {
      observe(value);
    }

    /** The number of observations in this process (over all buckets). */
    double count();

    /** The sum of the values observed in this process. */
    double sum();
  }

  static final class HistogramChild extends StripedSeries implements Child {
    private final double[] bounds;
    private final ExemplarSlots exemplars;

    HistogramChild(
        MetricFileWriter.Slots slots,
        StripedSeries.StripeFiles stripes,
        double[] bounds,
        ExemplarSlots exemplars) {
      super(slots, stripes);
      this.bounds = bounds;
      this.exemplars = exemplars;
    }

    @Override
    public void observe(double value) {
      add(0, value);
      for (int i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          add(i + 1, 1.0);
          return;
        }
      }
    }

    @Override
    public double count() {
      double count = 0;
      for (int i = 1; i <= bounds.length; i++) {
        count += sum(i);
      }
      return count;
    }

    @Override
    public double sum() {
      return sum(0);
    }

    @Override
    public void observe(double value, ExemplarLabels exemplar) {
      observe(value);
      if (exemplar == null) {
        return;
      }
      for (int i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          exemplars.set(i, exemplar, value);
          return;
        }
      }
    }
  }

  /** Builder for {@link Histogram}. */
  public static final class Builder extends MetricBuilder<Builder> {
    private double[] upperBounds = DEFAULT_BUCKETS.clone();

    private Builder(String name) {
      super(name);
    }

    @Override
    Builder self() {
      return this;
    }

    /** Upper bounds, strictly increasing; {@code +Inf} is added when missing. */
    public Builder buckets(double... upperBounds) {
      this.upperBounds = upperBounds.clone();
      return this;
    }

    /** Creates the histogram in {@code registry}; an unlabelled one's entries are written now. */
    public Histogram register(MetricsRegistry registry) {
      return new Histogram(this, registry);
    }
  }
}
