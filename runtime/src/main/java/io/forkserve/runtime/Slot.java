package io.forkserve.runtime;

import io.forkserve.runtime.internal.RestartReason;

/**
 * One worker position of the pool: its index and device, its current worker and a successor.
 * Fields are guarded by the pool's monitor.
 */
final class Slot {
  final int index;
  final String device;
  Worker current;
  Worker successor;
  RestartReason successorReason;
  int failures;
  long nextSpawnNanos;
  RestartReason pendingReason;
  boolean removed;

  Slot(int index, String device) {
    this.index = index;
    this.device = device;
  }

  /** One worker process; fields guarded by the pool's monitor unless volatile. */
  static final class Worker {
    final Slot slot;
    final long spawnedNanos;
    final long maxRequests;
    WorkerLauncher.Handle process;
    long pid;
    volatile WorkerChannel link;
    volatile boolean ready;
    boolean everReady;
    volatile boolean healthy;
    volatile long lastHeardNanos;
    String failure;
    RestartReason stopReason;
    long retiredNanos;
    long rssCheckedNanos;
    boolean gone;

    Worker(Slot slot, long spawnedNanos, long maxRequests) {
      this.slot = slot;
      this.spawnedNanos = spawnedNanos;
      this.maxRequests = maxRequests;
    }
  }
}
