package io.forkserve.worker.jvm;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.internal.LazyLogger;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Process and JVM metrics of this process, named as prometheus client_java 1.x's {@code
 * JvmMetrics} and {@code ProcessMetrics}, with a label {@code worker} naming the process (a worker
 * slot index, or {@code front}). A daemon thread samples them every {@link #PERIOD}.
 *
 * <pre>{@code
 * JvmMetrics jvm = JvmMetrics.start(registry, "0");   // once per process
 * jvm.close();                                         // stops sampling
 * }</pre>
 */
public final class JvmMetrics implements AutoCloseable {
  /*
   * Threads. start() registers the families and takes the first sample on the caller's thread,
   * so the series exist when it returns; then one daemon thread, forkserve-jvm-metrics, samples
   * at a fixed rate. A failing pass is logged once (a WARNING through System.Logger) and the
   * next pass runs as usual. close() stops the thread; values already written stay (the
   * registry owns the files).
   */

  /** How often the values are sampled. */
  public static final Duration PERIOD = Duration.ofSeconds(1);

  /** The label naming the process. */
  public static final String LABEL = JvmSampler.LABEL;

  /** The value of {@link #LABEL} for the front (supervisor) process. */
  public static final String FRONT = "front";

  private static final System.Logger LOG = LazyLogger.of(JvmMetrics.class);

  private final ScheduledExecutorService thread;
  private volatile boolean reported;

  private JvmMetrics(JvmSampler sampler) {
    thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "forkserve-jvm-metrics");
              t.setDaemon(true);
              return t;
            });
    long period = PERIOD.toMillis();
    thread.scheduleAtFixedRate(() -> sample(sampler), period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Registers the families in {@code registry}, writes the first sample, and samples every
   * {@link #PERIOD} from then on; {@code process} is the value of the {@code worker} label.
   * IllegalArgumentException if one of the names is already registered there.
   */
  public static JvmMetrics start(MetricsRegistry registry, String process) {
    JvmSampler sampler = new JvmSampler(registry, process, ProcSelf.system());
    sampler.sample();
    return new JvmMetrics(sampler);
  }

  private void sample(JvmSampler sampler) {
    try {
      sampler.sample();
    } catch (RuntimeException e) {
      if (!reported) {
        reported = true;
        LOG.log(System.Logger.Level.WARNING, "JVM metrics sample failed (reported once)", e);
      }
    }
  }

  /** Stops sampling. */
  @Override
  public void close() {
    thread.shutdownNow();
  }
}
