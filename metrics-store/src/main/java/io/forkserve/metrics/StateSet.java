package io.forkserve.metrics;

import io.forkserve.metrics.internal.file.MappedValues;
import io.forkserve.metrics.internal.file.MetricFileWriter;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.model.MetricType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An OpenMetrics state set: a fixed list of states, each true (1) or false (0), such as a
 * worker's {@code starting}, {@code ready}, {@code draining}, {@code recycling}. Stored as one
 * gauge entry per state, with a label named as the family holding the state ({@code
 * forkserve_worker_state{forkserve_worker_state="ready",worker="1"}}), in this process's gauge
 * file of the chosen mode; prometheus_client reads them as a gauge. Exposed as {@code stateset}
 * in OpenMetrics and {@code gauge} in text 0.0.4. Thread-safe.
 */
public final class StateSet {
  private final Children<StateChild> children;

  private StateSet(Builder b, MetricsRegistry registry) {
    if (b.states.length == 0) {
      throw new IllegalArgumentException("state set " + b.name + " needs at least one state");
    }
    List<String> labelNames = Names.checkLabelNames(b.name, b.labelNames, "pid", b.name);
    List<String> states = List.of(b.states);
    if (states.stream().distinct().count() != states.size()) {
      throw new IllegalArgumentException("state set " + b.name + ": states repeat: " + states);
    }
    registry.reserve(b.name, List.of());
    List<String> keyLabels = new ArrayList<>(labelNames);
    keyLabels.add(b.name);
    String mode = b.mode.fileToken();
    this.children =
        new Children<>(
            b.name,
            labelNames,
            registry,
            values -> {
              List<String> keys = new ArrayList<>(states.size());
              for (String state : states) {
                List<String> keyValues = new ArrayList<>(values);
                keyValues.add(state);
                keys.add(MetricKey.encode(b.name, b.name, keyLabels, keyValues, b.help));
              }
              return new StateChild(b.name, states,
                  registry.slots(MetricType.GAUGE, mode, keys));
            });
  }

  /** A builder for a state set named {@code name}; set its states with {@link Builder#states}. */
  public static Builder builder(String name) {
    return new Builder(Names.checkMetricName(name));
  }

  /** The cached child for these label values (one per label name, in order). */
  public Child labels(String... labelValues) {
    return children.labels(labelValues);
  }

  /** Makes {@code state} the only true state of the unlabelled series. */
  public void setState(String state) {
    children.unlabelled().setState(state);
  }

  /** One labelled series: a value per state. Thread-safe. */
  public interface Child {
    /** Makes {@code state} true and every other state false. */
    void setState(String state);

    /** Sets one state true or false, leaving the others. */
    void set(String state, boolean value);
  }

  private static final class StateChild implements Child {
    private final String name;
    private final List<String> states;
    private final ByteBuffer buffer;
    private final int[] offsets;

    StateChild(String name, List<String> states, MetricFileWriter.Slots slots) {
      this.name = name;
      this.states = states;
      this.buffer = slots.buffer();
      this.offsets = new int[states.size()];
      for (int i = 0; i < offsets.length; i++) {
        offsets[i] = slots.valueOffset(i);
      }
    }

    @Override
    public synchronized void setState(String state) {
      int at = indexOf(state);
      for (int i = 0; i < offsets.length; i++) {
        MappedValues.putDoubleRelease(buffer, offsets[i], i == at ? 1.0 : 0.0);
      }
    }

    @Override
    public synchronized void set(String state, boolean value) {
      MappedValues.putDoubleRelease(buffer, offsets[indexOf(state)], value ? 1.0 : 0.0);
    }

    private int indexOf(String state) {
      int at = states.indexOf(state);
      if (at < 0) {
        throw new IllegalArgumentException(
            "state set " + name + " has no state " + state + "; its states: " + states);
      }
      return at;
    }
  }

  /** Builder for {@link StateSet}; the mode defaults to {@link GaugeMode#LIVEMAX}. */
  public static final class Builder extends MetricBuilder<Builder> {
    private String[] states = new String[0];
    private GaugeMode mode = GaugeMode.LIVEMAX;

    private Builder(String name) {
      super(name);
    }

    @Override
    Builder self() {
      return this;
    }

    /** The states, in exposition order; all start false. */
    public Builder states(String... states) {
      for (String s : states) {
        Objects.requireNonNull(s, "state");
      }
      this.states = states.clone();
      return this;
    }

    /**
     * How processes' values merge: {@code LIVEMAX}/{@code MAX} (default: a state is true when
     * any process says so), {@code LIVEMIN}/{@code MIN}, {@code LIVEALL}/{@code ALL} (one series
     * per process, with a {@code pid} label). Sums (a state is 0 or 1) and the mostrecent modes
     * are refused.
     */
    public Builder mode(GaugeMode mode) {
      GaugeMode rule = Objects.requireNonNull(mode, "mode").mergeRule();
      if (rule == GaugeMode.SUM || rule == GaugeMode.MOSTRECENT) {
        throw new IllegalArgumentException(
            "state set " + name + ": mode " + mode + " not allowed; allowed: "
                + Arrays.asList(GaugeMode.values()).subList(0, 6));
      }
      this.mode = mode;
      return this;
    }

    /** Creates the state set; an unlabelled one's entries are written now (all false). */
    public StateSet register(MetricsRegistry registry) {
      return new StateSet(this, registry);
    }
  }
}
