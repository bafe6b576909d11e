package io.forkserve.metrics;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.internal.file.FileLayout;
import io.forkserve.metrics.internal.file.MappedValues;
import io.forkserve.metrics.internal.file.MetricFileWriter;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.model.MetricType;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * A value that goes up and down; {@link GaugeMode} says how processes' values merge. In the {@code
 * MOSTRECENT} modes {@code set()} also stores the time (format v2 only), and {@code inc()}/{@code
 * dec()} are refused, as in prometheus_client. Thread-safe.
 */
public final class Gauge {
  private final Children<GaugeChild> children;

  private Gauge(Builder b, MetricsRegistry registry) {
    GaugeMode mode = b.mode;
    boolean mostRecent = mode.mergeRule() == GaugeMode.MOSTRECENT;
    if (mostRecent && registry.formatVersion() == FormatVersion.V1) {
      throw new IllegalStateException(
          "gauge "
              + b.name
              + ": mode "
              + mode.fileToken()
              + " needs file format v2"
              + " (prometheus_client 0.18+), but the registry writes format v1");
    }
    List<String> labelNames =
        mode.mergeRule() == GaugeMode.ALL
            ? Names.checkLabelNames(b.name, b.labelNames, "pid")
            : Names.checkLabelNames(b.name, b.labelNames);
    registry.reserve(b.name, List.of());
    this.children =
        new Children<>(
            b.name,
            labelNames,
            registry,
            values ->
                new GaugeChild(
                    registry.slots(
                        MetricType.GAUGE,
                        mode.fileToken(),
                        List.of(MetricKey.encode(b.name, b.name, labelNames, values, b.help))),
                    mostRecent ? registry : null));
  }

  /** A builder for a gauge named {@code name}. */
  public static Builder builder(String name) {
    return new Builder(Names.checkMetricName(name));
  }

  /** The cached child for these label values (one per label name, in order). */
  public Child labels(String... labelValues) {
    return children.labels(labelValues);
  }

  /** Sets the unlabelled series. */
  public void set(double value) {
    children.unlabelled().set(value);
  }

  /** Adds {@code amount} to the unlabelled series. */
  public void inc(double amount) {
    children.unlabelled().inc(amount);
  }

  /** Subtracts {@code amount} from the unlabelled series. */
  public void dec(double amount) {
    children.unlabelled().dec(amount);
  }

  /** One labelled series. Thread-safe. */
  public interface Child {
    /** Sets the value (and, in the mostrecent modes, the timestamp: now). */
    void set(double value);

    /** Adds 1. */
    void inc();

    /** Adds {@code amount}. */
    void inc(double amount);

    /** Subtracts 1. */
    void dec();

    /** Subtracts {@code amount}. */
    void dec(double amount);

    /** The current value in this process. */
    double get();
  }

  private static final class GaugeChild implements Child {
    private final ByteBuffer buffer;
    private final int offset;

    /** Non-null in the mostrecent modes: the clock for timestamps. */
    private final MetricsRegistry clock;

    GaugeChild(MetricFileWriter.Slots slots, MetricsRegistry clock) {
      this.buffer = slots.buffer();
      this.offset = slots.valueOffset(0);
      this.clock = clock;
    }

    @Override
    public void set(double value) {
      if (clock == null) {
        MappedValues.putDoubleRelease(buffer, offset, value);
        return;
      }
      synchronized (this) {
        MappedValues.putDoubleRelease(buffer, offset, value);
        MappedValues.putDoubleRelease(
            buffer, offset + FileLayout.DOUBLE_LENGTH, clock.unixSeconds());
      }
    }

    @Override
    public void inc() {
      inc(1.0);
    }

    @Override
    public void inc(double amount) {
      if (clock != null) {
        throw new IllegalStateException("inc()/dec() must not be used with the mostrecent modes");
      }
      MappedValues.getAndAddDouble(buffer, offset, amount);
    }

    @Override
    public void dec() {
      inc(-1.0);
    }

    @Override
    public void dec(double amount) {
      inc(-amount);
    }

    @Override
    public double get() {
      return MappedValues.getDoubleAcquire(buffer, offset);
    }
  }

  /** Builder for {@link Gauge}; the mode defaults to {@link GaugeMode#ALL}. */
  public static final class Builder extends MetricBuilder<Builder> {
    private GaugeMode mode = GaugeMode.ALL;

    private Builder(String name) {
      super(name);
    }

    @Override
    Builder self() {
      return this;
    }

    /** How the processes' values merge; decides the file ({@code gauge_MODE_PID.db}). */
    public Builder mode(GaugeMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Creates the gauge in {@code registry}; an unlabelled gauge's entry is written now. */
    public Gauge register(MetricsRegistry registry) {
      return new Gauge(this, registry);
    }
  }
}
