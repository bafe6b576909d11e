package io.forkserve.worker.jvm;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.internal.LazyLogger;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
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
   * Threads. start() registers the families on the caller's thread, then one daemon thread,
   * forkserve-jvm-metrics, takes every sample: the first while start() waits for it, so the
   * series exist when it returns, then one per PERIOD at a fixed rate. One thread for all of
   * them matters: a counter or summary child belongs to the first thread that adds to it (its
   * entries in the main file, TYPE_PID.db), and every other thread that adds to it writes a
   * stripe file of its own (TYPE_PIDsN.db). A first sample on the caller's thread made two more
   * files per process (counter and summary stripes), which every scrape reads and merges. A
   * failing pass after the first is logged once (a WARNING through System.Logger) and the next
   * pass runs as usual. close() stops the thread; values already written stay (the registry
   * owns the files).
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
    try {
      firstSample(sampler);
    } catch (RuntimeException | Error e) {
      thread.shutdownNow();
      throw e;
    }
    long period = PERIOD.toMillis();
    thread.scheduleAtFixedRate(() -> sample(sampler), period, period, TimeUnit.MILLISECONDS);
  }

  /** The first sample, on the sampling thread; its failure is the caller's. */
  private void firstSample(JvmSampler sampler) {
    try {
      thread.submit(sampler::sample).get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while taking the first JVM metrics sample", e);
    }
  }

  /**
   * Registers the families in {@code registry}, writes the first sample, and samples every
   * {@link #PERIOD} from then on, all samples on one thread of its own; {@code process} is the
   * value of the {@code worker} label.
   * IllegalArgumentException if one of the names is already registered there.
   */
  public static JvmMetrics start(MetricsRegistry registry, String process) {
    return new JvmMetrics(new JvmSampler(registry, process, ProcSelf.system()));
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
