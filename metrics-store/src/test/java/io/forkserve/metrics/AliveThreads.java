package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Progress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code body} on several threads that are all alive before any starts it and stay alive
 * until {@code whileAlive} has run after all of them finished it (so no cell of a terminated
 * thread is taken over meanwhile). Waits are bounded by the machine's measured slowdown.
 */
final class AliveThreads {
  private static final Duration LIMIT = Duration.ofSeconds(60);

  private AliveThreads() {}

  /** The checks to run while the threads are still alive. */
  @FunctionalInterface
  interface Check {
    void run() throws Exception;
  }

  /** Each of {@code threads} threads adds 1 to {@code c} and observes {@code value} in h, n times. */
  static void incAndObserve(
      int threads, int n, Counter.Child c, Histogram.Child h, double value, Check whileAlive)
      throws Exception {
    run(threads, () -> {
      for (int i = 0; i < n; i++) {
        c.inc();
        h.observe(value);
      }
    }, whileAlive);
  }

  static void run(int threads, Runnable body, Check whileAlive) throws Exception {
    long limitMs = Progress.stretched(LIMIT).toMillis();
    CountDownLatch alive = new CountDownLatch(threads);
    CountDownLatch done = new CountDownLatch(threads);
    CountDownLatch exit = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          alive.countDown();
          if (alive.await(limitMs, TimeUnit.MILLISECONDS)) {
            body.run();
            done.countDown();
          }
          exit.await(limitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      w.setDaemon(true);
      w.start();
      workers.add(w);
    }
    try {
      assertTrue(done.await(limitMs, TimeUnit.MILLISECONDS),
          (threads - done.getCount()) + " of " + threads + " threads finished in " + limitMs + " ms");
      whileAlive.run();
    } finally {
      exit.countDown();
      for (Thread w : workers) {
        w.join(limitMs);
      }
    }
  }
}
