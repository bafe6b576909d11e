package io.forkserve.runtime;

import io.forkserve.runtime.Slot.Worker;
import io.forkserve.runtime.internal.Clock;
import io.forkserve.runtime.internal.RestartReason;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * What a worker's exit means for its slot once the server has started: a crash to restart after a
 * backoff, a timeout to replace at once, or an exit the pool asked for. Tracks the crash loop.
 * Called by the pool under its monitor; not thread-safe on its own.
 */
final class WorkerExits {
  /*
   * Failure. An exit the pool did not ask for (no stopReason) is a crash: the worker's channel
   * has already failed the jobs it held (503, Retry-After, naming the worker); queued jobs stay
   * in the central queue for the others. The slot restarts after RestartPolicy's backoff, which
   * grows while the slot keeps failing and resets when a worker of it is ready. When the policy
   * counts a crash loop, the pool reports unhealthy with the cause, said once on stderr; it heals
   * when every slot's worker is ready again.
   *
   * Timeout. A worker killed for a silent heartbeat exited as asked (stopReason timeout); its
   * slot is replaced at once, without backoff.
   *
   * A replacement (successor) already starting when the current worker exits takes its place.
   */

  private final Settings settings;
  private final Clock clock;
  private final RestartPolicy policy;
  private final PoolEvents events;
  private final PrintStream err;
  private String crashLoopCause;

  WorkerExits(
      Settings settings,
      Clock clock,
      RestartPolicy policy,
      PoolEvents events,
      PrintStream err) {
    this.settings = settings;
    this.clock = clock;
    this.policy = policy;
    this.events = events;
    this.err = err;
  }

  /** The crash loop's cause, or null when there is none. */
  String crashLoopCause() {
    return crashLoopCause;
  }

  /** The one-line cause of a start-up failure by {@code worker}'s exit with {@code code}. */
  static String startupFailure(Worker worker, int code) {
    if (worker.failure != null) {
      return "worker " + worker.slot.index + " setup failed: " + worker.failure;
    }
    return "worker " + worker.slot.index + " exited with code " + code + " during start-up";
  }

  /** Updates {@code worker}'s slot for its exit with {@code code}. */
  void exited(Worker worker, int code) {
    Slot slot = worker.slot;
    if (slot.successor == worker) {
      slot.successor = null;
    }
    if (slot.current == worker) {
      slot.current = slot.successor;
      slot.successor = null;
    }
    if (worker.stopReason == null) {
      crashed(worker, code);
    } else if (worker.stopReason == RestartReason.TIMEOUT
        && !slot.removed
        && slot.current == null) {
      slot.pendingReason = RestartReason.TIMEOUT;
      slot.nextSpawnNanos = clock.nanoTime();
    }
  }

  private void crashed(Worker worker, int code) {
    Slot slot = worker.slot;
    long now = clock.nanoTime();
    String cause =
        worker.failure != null
            ? "setup failed: " + worker.failure
            : "exited with code " + code + (worker.everReady ? "" : " before it was ready");
    slot.failures++;
    long delay = policy.delayNanos(slot.failures);
    boolean loop = policy.failed(now);
    if (loop && crashLoopCause == null) {
      crashLoopCause =
          "crash loop: "
              + policy.recentFailures(now)
              + " worker failures within "
              + Math.round(WorkerPool.seconds(settings.crashLoopWindowNanos))
              + " s; last: worker "
              + slot.index
              + " "
              + cause;
      events.crashLoop(true);
      err.println(
          "forkserve: "
              + crashLoopCause
              + " (retrying with backoff up to "
              + WorkerPool.seconds(settings.restartBackoffMaxNanos)
              + " s; /health reports 503)");
    } else if (crashLoopCause == null) {
      err.printf(
          Locale.ROOT,
          "forkserve: worker %d (pid %d) %s; restarting in %.2f s%n",
          slot.index,
          worker.pid,
          cause,
          WorkerPool.seconds(delay));
    }
    slot.nextSpawnNanos = now + delay;
    if (!slot.removed && slot.current == null) {
      slot.pendingReason = RestartReason.CRASH;
    }
  }

  /** Ends the crash loop when every slot's current worker is ready. */
  void healIfRecovered(List<Slot> slots) {
    if (crashLoopCause == null) {
      return;
    }
    for (Slot slot : slots) {
      if (slot.current == null || !slot.current.ready) {
        return;
      }
    }
    crashLoopCause = null;
    events.crashLoop(false);
    err.println("forkserve: crash loop over: every worker is ready again");
  }
}
