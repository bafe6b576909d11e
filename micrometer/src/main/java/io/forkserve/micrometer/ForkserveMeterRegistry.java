package io.forkserve.micrometer;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.MetricsRegistry;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.noop.NoopCounter;
import io.micrometer.core.instrument.noop.NoopDistributionSummary;
import io.micrometer.core.instrument.noop.NoopFunctionCounter;
import io.micrometer.core.instrument.noop.NoopFunctionTimer;
import io.micrometer.core.instrument.noop.NoopGauge;
import io.micrometer.core.instrument.noop.NoopLongTaskTimer;
import io.micrometer.core.instrument.noop.NoopMeter;
import io.micrometer.core.instrument.noop.NoopTimeGauge;
import io.micrometer.core.instrument.noop.NoopTimer;
import io.micrometer.core.instrument.util.TimeUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * A Micrometer {@link MeterRegistry} whose meters write into a worker's multiprocess metric files,
 * so that they appear in the merged {@code /metrics} of all workers with the names, types and
 * labels micrometer-registry-prometheus gives them. Counters, timers and distribution summaries
 * write on every update; function-backed values (gauges, function counters and timers, long task
 * timers, the {@code _max} of timers and summaries) are written by a sampler thread every {@link
 * Builder#sampleInterval} (1 s by default). Thread-safe.
 *
 * <pre>{@code
 * public void setup(WorkerContext context) {
 *   MeterRegistry meters = ForkserveMeterRegistry.create(context.metrics());
 *   new JvmMemoryMetrics().bindTo(meters);
 *   requests = Counter.builder("requests").tag("model", "a").register(meters);
 * }
 * }</pre>
 */
public final class ForkserveMeterRegistry extends MeterRegistry implements AutoCloseable {
  /*
   * A meter that metrics-store refuses (a name already used with another type or label names, a
   * label set beyond the series limit, a reserved label) becomes a Micrometer no-op meter: the
   * caller's code never sees an exception, the refusal is counted by metrics-store
   * (forkserve_metrics_series_rejected) or logged once per name.
   */

  /** Default of {@link Builder#sampleInterval}. */
  public static final Duration DEFAULT_SAMPLE_INTERVAL = Duration.ofSeconds(1);

  private static final System.Logger LOG = System.getLogger(ForkserveMeterRegistry.class.getName());

  private final Families families;
  private final Sampler sampler;
  private final GaugeMode gaugeMode;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  private ForkserveMeterRegistry(Builder b) {
    super(b.clock);
    this.families = new Families(b.metrics);
    this.gaugeMode = b.gaugeMode;
    this.sampler = new Sampler(families, b.sampleInterval);
    config().namingConvention(new PrometheusNames());
    config()
        .onMeterRemoved(
            meter -> {
              if (meter instanceof Meters.Sampled) {
                ((Meters.Sampled) meter).items().forEach(sampler::remove);
              }
            });
  }

  /** A registry writing into {@code metrics} (in a worker: {@code WorkerContext.metrics()}). */
  public static ForkserveMeterRegistry create(MetricsRegistry metrics) {
    return builder(metrics).build();
  }

  /** A builder to choose the gauge mode, the sample interval and the clock. */
  public static Builder builder(MetricsRegistry metrics) {
    return new Builder(Objects.requireNonNull(metrics, "metrics"));
  }

  /** Writes every function-backed value now, without waiting for the sampler. */
  public void sampleNow() {
    sampler.sampleAll();
  }

  @Override
  protected <T> Gauge newGauge(Meter.Id id, T obj, ToDoubleFunction<T> f) {
    return orNoop(
        id,
        () ->
            sampled(
                new Meters.FsGauge<>(id, name(id), obj, f, gaugeSeries(id, name(id), gaugeMode))),
        () -> new NoopGauge(id));
  }

  @Override
  protected <T> TimeGauge newTimeGauge(
      Meter.Id timeId, T obj, TimeUnit unit, ToDoubleFunction<T> f) {
    Meter.Id id = timeId.withBaseUnit("seconds");
    ToDoubleFunction<T> seconds =
        o -> TimeUtils.convert(f.applyAsDouble(o), unit, TimeUnit.SECONDS);
    return orNoop(
        id,
        () ->
            sampled(
                new Meters.FsTimeGauge(
                    id,
                    new Meters.FsGauge<>(
                        id, name(id), obj, seconds, gaugeSeries(id, name(id), gaugeMode)))),
        () -> new NoopTimeGauge(id));
  }

  @Override
  protected Counter newCounter(Meter.Id id) {
    return orNoop(
        id,
        () ->
            new Meters.FsCounter(
                id, families.counter(name(id), help(id), labelNames(id), labelValues(id))),
        () -> new NoopCounter(id));
  }

  @Override
  protected Timer newTimer(
      Meter.Id id, DistributionStatisticConfig config, PauseDetector pauseDetector) {
    return orNoop(
        id,
        () -> {
          String name = name(id);
          Meters.Distribution series = distribution(id, name, config, 1e-9);
          return sampled(
              new Meters.FsTimer(
                  id,
                  clock,
                  config,
                  pauseDetector,
                  series,
                  name + "_max",
                  gaugeSeries(id, name + "_max", GaugeMode.LIVEMAX)));
        },
        () -> new NoopTimer(id));
  }

  @Override
  protected DistributionSummary newDistributionSummary(
      Meter.Id id, DistributionStatisticConfig config, double scale) {
    return orNoop(
        id,
        () -> {
          String name = name(id);
          Meters.Distribution series = distribution(id, name, config, 1.0);
          return sampled(
              new Meters.FsSummary(
                  id,
                  clock,
                  config,
                  scale,
                  series,
                  name + "_max",
                  gaugeSeries(id, name + "_max", GaugeMode.LIVEMAX)));
        },
        () -> new NoopDistributionSummary(id));
  }

  @Override
  protected LongTaskTimer newLongTaskTimer(Meter.Id id, DistributionStatisticConfig config) {
    return orNoop(
        id,
        () -> {
          String base = name(id);
          return sampled(
              new Meters.FsLongTaskTimer(
                  id,
                  clock,
                  config,
                  base,
                  gaugeSeries(id, base + "_active_count", GaugeMode.LIVESUM),
                  gaugeSeries(id, base + "_duration_sum", GaugeMode.LIVESUM),
                  gaugeSeries(id, base + "_max", GaugeMode.LIVEMAX)));
        },
        () -> new NoopLongTaskTimer(id));
  }

  @Override
  protected <T> FunctionCounter newFunctionCounter(Meter.Id id, T obj, ToDoubleFunction<T> f) {
    return orNoop(
        id,
        () ->
            sampled(
                new Meters.FsFunctionCounter<>(
                    id,
                    name(id),
                    obj,
                    f,
                    families.counter(name(id), help(id), labelNames(id), labelValues(id)))),
        () -> new NoopFunctionCounter(id));
  }

  @Override
  protected <T> FunctionTimer newFunctionTimer(
      Meter.Id id,
      T obj,
      ToLongFunction<T> countFunction,
      ToDoubleFunction<T> totalTimeFunction,
      TimeUnit totalTimeFunctionUnit) {
    return orNoop(
        id,
        () ->
            sampled(
                new Meters.FsFunctionTimer<>(
                    id,
                    name(id),
                    obj,
                    countFunction,
                    totalTimeFunction,
                    totalTimeFunctionUnit,
                    families.summary(name(id), help(id), labelNames(id), labelValues(id))
                        ::observe)),
        () -> new NoopFunctionTimer(id));
  }

  @Override
  protected Meter newMeter(Meter.Id id, Meter.Type type, Iterable<Measurement> measurements) {
    return orNoop(
        id,
        () -> {
          List<Sampler.Item> items = new ArrayList<>();
          for (Measurement m : measurements) {
            String name =
                name(id)
                    + "_"
                    + m.getStatistic().getTagValueRepresentation().toLowerCase(Locale.ROOT);
            items.add(Meters.gaugeItem(name, gaugeSeries(id, name, gaugeMode), m::getValue));
          }
          return sampled(new Meters.FsMeter(id, measurements, List.copyOf(items)));
        },
        () -> new NoopMeter(id));
  }

  @Override
  protected TimeUnit getBaseTimeUnit() {
    return TimeUnit.SECONDS;
  }

  @Override
  protected DistributionStatisticConfig defaultHistogramConfig() {
    return DistributionStatisticConfig.builder()
        .expiry(Duration.ofMinutes(1))
        .build()
        .merge(DistributionStatisticConfig.DEFAULT);
  }

  /** Stops the sampler after a last pass; the metrics registry stays open (the worker owns it). */
  @Override
  public void close() {
    sampler.close();
    super.close();
  }

  /**
   * The series of a timer or summary: a histogram when the meter asks for one (percentile histogram
   * or SLOs), else a summary (count and sum; client-side percentiles are not kept).
   */
  private Meters.Distribution distribution(
      Meter.Id id, String name, DistributionStatisticConfig config, double boundScale) {
    if (config.isPublishingHistogram()) {
      NavigableSet<Double> buckets = config.getHistogramBuckets(true);
      double[] bounds = new double[buckets.size()];
      int i = 0;
      for (double bound : buckets) {
        bounds[i++] = bound * boundScale;
      }
      return Meters.Distribution.of(
          families.histogram(name, help(id), bounds, labelNames(id), labelValues(id)));
    }
    return Meters.Distribution.of(
        families.summary(name, help(id), labelNames(id), labelValues(id)));
  }

  private io.forkserve.metrics.Gauge.Child gaugeSeries(Meter.Id id, String name, GaugeMode mode) {
    return families.gauge(name, help(id), mode, labelNames(id), labelValues(id));
  }

  private <M extends Meters.Sampled> M sampled(M meter) {
    meter.items().forEach(sampler::add);
    return meter;
  }

  private <M extends Meter> M orNoop(Meter.Id id, Supplier<M> create, Supplier<M> noop) {
    try {
      return create.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      if (warned.add(id.getName())) {
        LOG.log(
            System.Logger.Level.WARNING,
            "meter " + id.getName() + " not exported: " + e.getMessage());
      }
      return noop.get();
    }
  }

  private String name(Meter.Id id) {
    return getConventionName(id);
  }

  private static String help(Meter.Id id) {
    String description = id.getDescription();
    return description == null ? "" : description;
  }

  private List<String> labelNames(Meter.Id id) {
    List<String> names = new ArrayList<>();
    for (Tag tag : getConventionTags(id)) {
      names.add(tag.getKey());
    }
    return names;
  }

  private List<String> labelValues(Meter.Id id) {
    List<String> values = new ArrayList<>();
    for (Tag tag : getConventionTags(id)) {
      values.add(tag.getValue());
    }
    return values;
  }

  /** Options of {@link ForkserveMeterRegistry}. */
  public static final class Builder {
    private final MetricsRegistry metrics;
    private GaugeMode gaugeMode = GaugeMode.LIVEALL;
    private Duration sampleInterval = DEFAULT_SAMPLE_INTERVAL;
    private Clock clock = Clock.SYSTEM;

    private Builder(MetricsRegistry metrics) {
      this.metrics = metrics;
    }

    /**
     * How the workers' values of Micrometer gauges merge; {@link GaugeMode#LIVEALL} by default: one
     * series per live worker, told apart by a {@code pid} label.
     */
    public Builder gaugeMode(GaugeMode mode) {
      this.gaugeMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** How often function-backed values are written to the files; 1 s by default. */
    public Builder sampleInterval(Duration interval) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("sampleInterval must be positive: " + interval);
      }
      this.sampleInterval = interval;
      return this;
    }

    /** Micrometer's clock, for timers and time windows; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The registry; its sampler thread starts now. */
    public ForkserveMeterRegistry build() {
      return new ForkserveMeterRegistry(this);
    }
  }
}
