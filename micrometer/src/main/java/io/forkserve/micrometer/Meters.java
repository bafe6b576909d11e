package io.forkserve.micrometer;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.Summary;
import io.micrometer.core.instrument.AbstractDistributionSummary;
import io.micrometer.core.instrument.AbstractMeter;
import io.micrometer.core.instrument.AbstractTimer;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.NoopHistogram;
import io.micrometer.core.instrument.distribution.TimeWindowMax;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.internal.DefaultLongTaskTimer;
import io.micrometer.core.instrument.util.TimeUtils;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleConsumer;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/** The meters of {@link ForkserveMeterRegistry}; each writes into metrics-store series. */
final class Meters {
  private Meters() {}

  /** A meter with function-backed series, written by the {@link Sampler}. */
  interface Sampled {
    List<Sampler.Item> items();
  }

  /** A sampled series: {@code value} read, {@code gauge} set. */
  static Sampler.Item gaugeItem(
      String metric, Gauge.Child gauge, java.util.function.DoubleSupplier value) {
    return new Sampler.Item() {
      @Override
      public String metric() {
        return metric;
      }

      @Override
      public void sample() {
        gauge.set(value.getAsDouble());
      }
    };
  }

  /** Counter: every increment goes straight into the mapped file. */
  static final class FsCounter extends AbstractMeter
      implements io.micrometer.core.instrument.Counter {
    private final Counter.Child series;

    FsCounter(Meter.Id id, Counter.Child series) {
      super(id);
      this.series = series;
    }

    @Override
    public void increment(double amount) {
      if (amount > 0) {
        series.inc(amount);
      }
    }

    @Override
    public double count() {
      return series.get();
    }
  }

  /**
   * The series a timer or summary writes: a metrics-store summary or histogram child, whose
   * values in this process are also the meter's count and total (no second copy to update).
   */
  interface Distribution {
    void observe(double value);

    double count();

    double sum();

    static Distribution of(Summary.Child child) {
      return new Distribution() {
        @Override
        public void observe(double value) {
          child.observe(value);
        }

        @Override
        public double count() {
          return child.count();
        }

        @Override
        public double sum() {
          return child.sum();
        }
      };
    }

    static Distribution of(Histogram.Child child) {
      return new Distribution() {
        @Override
        public void observe(double value) {
          child.observe(value);
        }

        @Override
        public double count() {
          return child.count();
        }

        @Override
        public double sum() {
          return child.sum();
        }
      };
    }
  }

  /**
   * Timer: a summary or histogram series in seconds, and a sampled {@code _max} gauge. A record
   * is the series' two adds into the mapped file and Micrometer's window max (whose clock is a
   * {@link ReadClock}); count and total are read back from the series.
   */
  static final class FsTimer extends AbstractTimer implements Sampled {
    private final Distribution series;
    private final ReadClock maxClock;
    private final TimeWindowMax max;
    private final List<Sampler.Item> items;

    FsTimer(
        Meter.Id id,
        Clock clock,
        DistributionStatisticConfig config,
        PauseDetector pauseDetector,
        Distribution series,
        String maxName,
        Gauge.Child maxSeries) {
      super(id, clock, pauseDetector, TimeUnit.SECONDS, NoopHistogram.INSTANCE);
      this.series = series;
      this.maxClock = new ReadClock(clock);
      this.max = new TimeWindowMax(maxClock, config);
      this.items = List.of(gaugeItem(maxName, maxSeries, () -> max(TimeUnit.SECONDS)));
    }

    @Override
    protected void recordNonNegative(long amount, TimeUnit unit) {
      long nanos = unit.toNanos(amount);
      series.observe(nanos / 1e9);
      max.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public long count() {
      return (long) series.count();
    }

    @Override
    public double totalTime(TimeUnit unit) {
      return TimeUtils.convert(series.sum(), TimeUnit.SECONDS, unit);
    }

    @Override
    public double max(TimeUnit unit) {
      maxClock.refresh();
      return max.poll(unit);
    }

    @Override
    public List<Sampler.Item> items() {
      return items;
    }
  }

  /** Distribution summary: like {@link FsTimer}, in the meter's base unit. */
  static final class FsSummary extends AbstractDistributionSummary implements Sampled {
    private final Distribution series;
    private final ReadClock maxClock;
    private final TimeWindowMax max;
    private final List<Sampler.Item> items;

    FsSummary(
        Meter.Id id,
        Clock clock,
        DistributionStatisticConfig config,
        double scale,
        Distribution series,
        String maxName,
        Gauge.Child maxSeries) {
      super(id, scale, NoopHistogram.INSTANCE);
      this.series = series;
      this.maxClock = new ReadClock(clock);
      this.max = new TimeWindowMax(maxClock, config);
      this.items = List.of(gaugeItem(maxName, maxSeries, this::max));
    }

    @Override
    protected void recordNonNegative(double amount) {
      series.observe(amount);
      max.record(amount);
    }

    @Override
    public long count() {
      return (long) series.count();
    }

    @Override
    public double totalAmount() {
      return series.sum();
    }

    @Override
    public double max() {
      maxClock.refresh();
      return max.poll();
    }

    @Override
    public List<Sampler.Item> items() {
      return items;
    }
  }

  /** Gauge: the function is read by the sampler; the object is held weakly, as Micrometer does. */
  static final class FsGauge<T> extends AbstractMeter
      implements io.micrometer.core.instrument.Gauge, Sampled {
    private final WeakReference<T> ref;
    private final ToDoubleFunction<T> function;
    private final List<Sampler.Item> items;

    FsGauge(Meter.Id id, String name, T obj, ToDoubleFunction<T> function, Gauge.Child series) {
      super(id);
      this.ref = new WeakReference<>(obj);
      this.function = function;
      this.items = List.of(gaugeItem(name, series, this::read));
    }

    /** The function's value, NaN once the object is collected; throws what the function throws. */
    double read() {
      T obj = ref.get();
      return obj == null ? Double.NaN : function.applyAsDouble(obj);
    }

    @Override
    public double value() {
      try {
        return read();
      } catch (RuntimeException e) {
        return Double.NaN;
      }
    }

    @Override
    public List<Sampler.Item> items() {
      return items;
    }
  }

  /** Time gauge: a gauge in seconds. */
  static final class FsTimeGauge extends AbstractMeter implements TimeGauge, Sampled {
    private final FsGauge<?> gauge;

    FsTimeGauge(Meter.Id id, FsGauge<?> gauge) {
      super(id);
      this.gauge = gauge;
    }

    @Override
    public TimeUnit baseTimeUnit() {
      return TimeUnit.SECONDS;
    }

    @Override
    public double value() {
      return gauge.value();
    }

    @Override
    public List<Sampler.Item> items() {
      return gauge.items();
    }
  }

  /**
   * Function counter: the sampler adds the growth of the function since the last pass. A decrease
   * (the source reset) adds nothing; counting resumes from the new value.
   */
  static final class FsFunctionCounter<T> extends AbstractMeter
      implements FunctionCounter, Sampled {
    private final WeakReference<T> ref;
    private final ToDoubleFunction<T> function;
    private final List<Sampler.Item> items;
    private double last;

    FsFunctionCounter(
        Meter.Id id, String name, T obj, ToDoubleFunction<T> f, Counter.Child series) {
      super(id);
      this.ref = new WeakReference<>(obj);
      this.function = f;
      this.items =
          List.of(
              new Sampler.Item() {
                @Override
                public String metric() {
                  return name;
                }

                @Override
                public void sample() {
                  T obj = ref.get();
                  if (obj == null) {
                    return;
                  }
                  double now = function.applyAsDouble(obj);
                  synchronized (FsFunctionCounter.this) {
                    if (now > last) {
                      series.inc(now - last);
                    }
                    if (!Double.isNaN(now)) {
                      last = now;
                    }
                  }
                }
              });
    }

    @Override
    public double count() {
      T obj = ref.get();
      return obj == null ? Double.NaN : function.applyAsDouble(obj);
    }

    @Override
    public List<Sampler.Item> items() {
      return items;
    }
  }

  /**
   * Function timer: the sampler writes the growth of count and total time since the last pass into
   * a summary, as one observation carrying the whole time growth and the rest at 0 s (the summary's
   * only way to add to its count). At most {@link #MAX_OBSERVATIONS_PER_PASS} per pass; a larger
   * growth is carried over to the next passes.
   */
  static final class FsFunctionTimer<T> extends AbstractMeter implements FunctionTimer, Sampled {
    static final long MAX_OBSERVATIONS_PER_PASS = 100_000;

    private final WeakReference<T> ref;
    private final ToLongFunction<T> countFunction;
    private final ToDoubleFunction<T> totalFunction;
    private final TimeUnit totalUnit;
    private final List<Sampler.Item> items;
    private long lastCount;
    private double lastSeconds;

    FsFunctionTimer(
        Meter.Id id,
        String name,
        T obj,
        ToLongFunction<T> countFunction,
        ToDoubleFunction<T> totalFunction,
        TimeUnit totalUnit,
        DoubleConsumer series) {
      super(id);
      this.ref = new WeakReference<>(obj);
      this.countFunction = countFunction;
      this.totalFunction = totalFunction;
      this.totalUnit = totalUnit;
      this.items =
          List.of(
              new Sampler.Item() {
                @Override
                public String metric() {
                  return name;
                }

                @Override
                public void sample() {
                  sampleInto(series);
                }
              });
    }

    private synchronized void sampleInto(DoubleConsumer series) {
      T obj = ref.get();
      if (obj == null) {
        return;
      }
      long nowCount = countFunction.applyAsLong(obj);
      double nowSeconds =
          TimeUtils.convert(totalFunction.applyAsDouble(obj), totalUnit, TimeUnit.SECONDS);
      if (nowCount < lastCount || nowSeconds < lastSeconds) {
        lastCount = nowCount;
        lastSeconds = nowSeconds;
        return;
      }
      long n = Math.min(nowCount - lastCount, MAX_OBSERVATIONS_PER_PASS);
      if (n == 0) {
        return;
      }
      series.accept(nowSeconds - lastSeconds);
      for (long i = 1; i < n; i++) {
        series.accept(0.0);
      }
      lastCount += n;
      lastSeconds = nowSeconds;
    }

    @Override
    public double count() {
      T obj = ref.get();
      return obj == null ? Double.NaN : countFunction.applyAsLong(obj);
    }

    @Override
    public double totalTime(TimeUnit unit) {
      T obj = ref.get();
      return obj == null
          ? Double.NaN
          : TimeUtils.convert(totalFunction.applyAsDouble(obj), totalUnit, unit);
    }

    @Override
    public TimeUnit baseTimeUnit() {
      return TimeUnit.SECONDS;
    }

    @Override
    public List<Sampler.Item> items() {
      return items;
    }
  }

  /**
   * Long task timer: Micrometer's own bookkeeping of active tasks, sampled into three gauges
   * ({@code _active_count}, {@code _duration_sum}, {@code _max}).
   */
  static final class FsLongTaskTimer extends DefaultLongTaskTimer implements Sampled {
    private final List<Sampler.Item> items;

    FsLongTaskTimer(
        Meter.Id id,
        Clock clock,
        DistributionStatisticConfig config,
        String base,
        Gauge.Child active,
        Gauge.Child duration,
        Gauge.Child max) {
      super(id, clock, TimeUnit.SECONDS, config, false);
      this.items =
          List.of(
              gaugeItem(base + "_active_count", active, this::activeTasks),
              gaugeItem(base + "_duration_sum", duration, () -> duration(TimeUnit.SECONDS)),
              gaugeItem(base + "_max", max, () -> max(TimeUnit.SECONDS)));
    }

    @Override
    public List<Sampler.Item> items() {
      return items;
    }
  }

  /** Custom meter: each measurement sampled into a gauge. */
  static final class FsMeter extends AbstractMeter implements Sampled {
    private final Iterable<Measurement> measurements;
    private final List<Sampler.Item> items;

    FsMeter(Meter.Id id, Iterable<Measurement> measurements, List<Sampler.Item> items) {
      super(id);
      this.measurements = measurements;
      this.items = items;
    }

    @Override
    public Iterable<Measurement> measure() {
      return measurements;
    }

    @Override
    public List<Sampler.Item> items() {
      return items;
    }
  }
}
