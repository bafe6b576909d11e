package io.forkserve.runtime;

import io.forkserve.runtime.front.FrontMetrics;
import io.forkserve.runtime.internal.RestartReason;

/** What the pool reports to the rest of the server. */
interface PoolEvents {
  /** The number of ready workers changed (it may be the same number). */
  void workersUp(int ready);

  /** A worker was started or stopped for {@code reason}. */
  void restarted(RestartReason reason);

  /** The crash-loop state changed. */
  void crashLoop(boolean looping);

  /** Worker {@code pid} has exited; called on the exit thread before the pool's own update. */
  void exited(long pid);

  /**
   * Events to the front's {@code metrics}, labelled with {@code api}; exited workers' files go to
   * {@code deadWorkers}.
   */
  static PoolEvents of(FrontMetrics metrics, String api, DeadWorkers deadWorkers) {
    return new PoolEvents() {
      @Override
      public void workersUp(int ready) {
        metrics.workersUp(api, ready);
      }

      @Override
      public void restarted(RestartReason reason) {
        metrics.workerRestarted(api, reason);
      }

      @Override
      public void crashLoop(boolean looping) {
        metrics.crashLoop(api, looping);
      }

      @Override
      public void exited(long pid) {
        deadWorkers.bury(pid);
      }
    };
  }
}
