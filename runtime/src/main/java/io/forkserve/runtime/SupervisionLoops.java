package io.forkserve.runtime;

import io.forkserve.metrics.internal.LazyLogger;
import io.forkserve.runtime.front.FrontMetrics;
import io.forkserve.runtime.internal.Clock;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The server's two background threads. The sweeper runs from start-up and, every {@link
 * #SWEEP_MILLIS}, fails each queue's requests past their deadline; the control loop runs once
 * every worker was ready and, every {@link #CONTROL_MILLIS}, turns each API's pool (liveness,
 * restarts, scaling, reload) and sets the worker-state gauge. Each marks its turn in {@link
 * Probes}, which is what {@code /health/live} reports. Both end when {@code stopping} is true.
 */
final class SupervisionLoops {
  private static final System.Logger LOG = LazyLogger.of(SupervisionLoops.class);
  static final long SWEEP_MILLIS = 20;
  static final long CONTROL_MILLIS = 50;


  private final Supplier<List<ApiRuntime>> apis;
  private final Probes probes;
  private final Clock clock;
  private final BooleanSupplier stopping;

  SupervisionLoops(
      Supplier<List<ApiRuntime>> apis, Probes probes, Clock clock, BooleanSupplier stopping) {
    this.apis = apis;
    this.probes = probes;
    this.clock = clock;
    this.stopping = stopping;
  }

  void startSweeper() {
    startThread("forkserve-sweeper", this::sweepLoop);
  }

  void startControl(FrontMetrics metrics) {
    startThread("forkserve-control", () -> controlLoop(metrics));
  }

  private void controlLoop(FrontMetrics metrics) {
    while (!stopping.getAsBoolean()) {
      try {
        probes.controlTurned();
        long now = clock.nanoTime();
        for (ApiRuntime api : apis.get()) {
          api.pool().control(now);
          metrics.workerStates(api.name(), api.pool().slotStates());
        }
      } catch (RuntimeException e) {
        // e.g. fork failing for lack of memory: keep supervising, try again next round
        LOG.log(System.Logger.Level.WARNING, "supervision round failed", e);
      }
      if (!pause(CONTROL_MILLIS)) {
        return;
      }
    }
  }

  private void sweepLoop() {
    while (!stopping.getAsBoolean()) {
      probes.sweepTurned();
      for (ApiRuntime api : apis.get()) {
        api.dispatcher().sweep();
      }
      if (!pause(SWEEP_MILLIS)) {
        return;
      }
    }
  }

  /** Sleeps {@code millis}; false when interrupted. */
  static boolean pause(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void startThread(String name, Runnable body) {
    daemonThreads(name).newThread(body).start();
  }

  /** Daemon threads named {@code name}. */
  static ThreadFactory daemonThreads(String name) {
    return body -> {
      Thread thread = new Thread(body, name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
