package io.forkserve.metrics;

import io.forkserve.metrics.internal.file.MappedValues;
import io.forkserve.metrics.internal.file.MetricFileWriter;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.model.MetricType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An OpenMetrics info metric: one label set with the value 1, such as a build's name and version
 * ({@code forkserve_api_info{name="echo",version="1.2"} 1}). Stored as gauge entries {@code
 * NAME_info} in this process's gauge file of the chosen mode (prometheus_client reads them as a
 * gauge); exposed as {@code info} in OpenMetrics and {@code gauge} in text 0.0.4. {@link #set}
 * replaces this process's label set: the old one is stored as 0 and no longer exposed.
 * Thread-safe.
 */
public final class Info {
  private final String name;
  private final String sample;
  private final String help;
  private final List<String> labelNames;
  private final GaugeMode mode;
  private final MetricsRegistry registry;
  private final Map<List<String>, Slot> slots = new HashMap<>();

  private Info(Builder b, MetricsRegistry registry) {
    this.name = b.name;
    this.sample = b.name + "_info";
    this.help = b.help;
    this.mode = b.mode;
    this.registry = registry;
    this.labelNames = Names.checkLabelNames(b.name, b.labelNames, "pid");
    if (labelNames.isEmpty()) {
      throw new IllegalArgumentException("info " + b.name + " needs at least one label name");
    }
    registry.reserve(b.name, List.of(sample));
  }

  /**
   * A builder for an info metric of family {@code name}: exposed as {@code NAME_info}; a name
   * ending in {@code _info} has it dropped.
   */
  public static Builder builder(String name) {
    Names.checkMetricName(name);
    String family = name.endsWith("_info") ? name.substring(0, name.length() - 5) : name;
    return new Builder(Names.checkMetricName(family));
  }

  /** Sets this process's label set (one value per label name, in order). */
  public synchronized void set(String... labelValues) {
    Slot slot = slot(labelValues);
    for (Slot other : slots.values()) {
      if (other != slot) {
        other.put(0.0);
      }
    }
    slot.put(1.0);
  }

  /**
   * Adds one more label set to those this process shows, keeping the others (a process that
   * serves several things, say one per API). A later {@link #set} replaces them all with its own.
   */
  public synchronized void add(String... labelValues) {
    slot(labelValues).put(1.0);
  }

  private Slot slot(String... labelValues) {
    List<String> values = Names.checkLabelValues(name, labelNames, labelValues);
    Slot slot = slots.get(values);
    if (slot == null) {
      registry.admitSeries(name, slots.size());
      String key = MetricKey.encode(name, sample, labelNames, values, help);
      slot = new Slot(registry.slots(MetricType.GAUGE, mode.fileToken(), List.of(key)));
      slots.put(values, slot);
    }
    return slot;
  }

  @Override
  public String toString() {
    return "Info[" + sample + " " + labelNames + "]";
  }

  private static final class Slot {
    private final ByteBuffer buffer;
    private final int offset;

    Slot(MetricFileWriter.Slots slots) {
      this.buffer = slots.buffer();
      this.offset = slots.valueOffset(0);
    }

    void put(double value) {
      MappedValues.putDoubleRelease(buffer, offset, value);
    }
  }

  /** Builder for {@link Info}; the mode defaults to {@link GaugeMode#LIVEMAX}. */
  public static final class Builder extends MetricBuilder<Builder> {
    private GaugeMode mode = GaugeMode.LIVEMAX;

    private Builder(String name) {
      super(name);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * How processes' label sets merge: {@code LIVEMAX}/{@code MAX} (default) expose each label
     * set once, {@code LIVEALL}/{@code ALL} once per process with a {@code pid} label. The other
     * modes are refused: a sum or a minimum is not an info value.
     */
    public Builder mode(GaugeMode mode) {
      GaugeMode rule = Objects.requireNonNull(mode, "mode").mergeRule();
      if (rule != GaugeMode.MAX && rule != GaugeMode.ALL) {
        throw new IllegalArgumentException(
            "info " + name + ": mode " + mode + " not allowed, use (LIVE)MAX or (LIVE)ALL; "
                + "allowed: " + Arrays.asList(GaugeMode.MAX, GaugeMode.LIVEMAX, GaugeMode.ALL,
                    GaugeMode.LIVEALL));
      }
      this.mode = mode;
      return this;
    }

    /** Creates the info metric in {@code registry}; nothing is written until {@link #set}. */
    public Info register(MetricsRegistry registry) {
      return new Info(this, registry);
    }
  }
}
