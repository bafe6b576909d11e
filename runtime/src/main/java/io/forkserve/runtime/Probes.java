package io.forkserve.runtime;

import io.forkserve.runtime.front.ServerView.Probe;
import io.forkserve.runtime.internal.Clock;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answers of {@code /health/live}, {@code /health/ready} and {@code /health/startup}.
 * Thread-safe: the supervisor's loops report their turns, the front reads.
 */
final class Probes {
  /*
   * Live: the supervisor's loops turn. The sweeper (request timeouts) runs from start-up, the
   * control loop (worker supervision) once every worker was ready; each notes the clock at every
   * turn, and the process is live while each started loop turned within LOOP_STALL_NANOS. Workers
   * do not count: a crashed worker is the control loop's job, and restarting the supervisor for it
   * would drop every request the other workers hold.
   *
   * Ready: at least --min-ready-workers workers ready and not draining (SIGTERM turns it off at
   * once, before the drain delay). A crash loop alone does not make it fail while enough workers
   * serve; /health still reports it.
   *
   * Start-up: passes once every worker was ready once, and from then on (also while draining).
   */

  /** A loop silent this long makes the process not live; loops turn every 20 to 50 ms. */
  static final long LOOP_STALL_NANOS = 10_000_000_000L;

  private final Clock clock;
  private final int minReady;
  private volatile long sweepTurn;
  private volatile long controlTurn;
  private volatile boolean controlStarted;

  Probes(Clock clock, int minReady) {
    this.clock = clock;
    this.minReady = minReady;
    this.sweepTurn = clock.nanoTime();
  }

  void sweepTurned() {
    sweepTurn = clock.nanoTime();
  }

  void controlTurned() {
    controlTurn = clock.nanoTime();
    controlStarted = true;
  }

  Probe live() {
    long now = clock.nanoTime();
    long sweepAge = now - sweepTurn;
    boolean ok = sweepAge <= LOOP_STALL_NANOS;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sweep_loop_age_seconds", seconds(sweepAge));
    if (controlStarted) {
      long controlAge = now - controlTurn;
      ok &= controlAge <= LOOP_STALL_NANOS;
      body.put("control_loop_age_seconds", seconds(controlAge));
    }
    return probe(ok, ok ? null : "a supervisor loop has not turned for 10 s", body);
  }

  Probe ready(int readyWorkers, int workers, boolean draining) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready_workers", readyWorkers);
    body.put("workers", workers);
    body.put("min_ready_workers", minReady);
    body.put("draining", draining);
    String cause =
        draining
            ? "draining: shutting down"
            : readyWorkers < minReady
                ? readyWorkers + " of at least " + minReady + " workers ready"
                : null;
    return probe(cause == null, cause, body);
  }

  Probe startup(boolean started, int readyWorkers, int workers) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready_workers", readyWorkers);
    body.put("workers", workers);
    return probe(started, started ? null : "starting: not every worker was ready yet", body);
  }

  private static Probe probe(boolean ok, String cause, Map<String, Object> fields) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", ok ? "ok" : "unavailable");
    body.putAll(fields);
    if (cause != null) {
      body.put("cause", cause);
    }
    return new Probe(ok, Collections.unmodifiableMap(body));
  }

  private static double seconds(long nanos) {
    return Math.round(nanos / 1e6) / 1e3;
  }
}
