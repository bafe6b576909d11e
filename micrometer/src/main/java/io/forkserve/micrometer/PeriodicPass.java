package io.forkserve.micrometer;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A pass run every interval on one daemon thread (the sampler's, the client_java bridge's).
 * {@link #close} stops the thread, waiting up to 10 s for a pass under way, then runs a last pass
 * on the caller's thread, so values written just before close reach the files. Thread-safe.
 */
final class PeriodicPass implements AutoCloseable {
  private static final long CLOSE_WAIT_SECONDS = 10;

  private final Runnable pass;
  private final ScheduledExecutorService executor;

  /** Starts {@code pass} after {@code firstDelay}, then every {@code interval} after each end. */
  PeriodicPass(String threadName, Duration firstDelay, Duration interval, Runnable pass) {
    this.pass = pass;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    executor.scheduleWithFixedDelay(
        pass, firstDelay.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pass.run();
  }
}
