package io.forkserve.worker.internal;

/**
 * Whether the serving thread is making progress, read by the heartbeat thread. The serving thread
 * calls {@link #busy} when it starts work and on each streamed chunk, {@link #idle} when it waits
 * for requests; the heartbeat thread calls {@link #isAlive}.
 */
final class Liveness {
  /*
   * The heartbeat (HEALTH frames) is the supervisor's only sign of life from a worker. It runs on
   * its own thread, so by itself it would keep beating while the serving thread is stuck in a
   * predict that never returns. So it beats only while the serving thread is idle or has shown
   * progress within the last heartbeat period: a worker stuck in one call for longer than the
   * supervisor's --worker-timeout falls silent and is replaced, however healthy its other
   * threads are. busySinceNanos is 0 while idle; a plain volatile suffices (one writer).
   */

  private final java.util.function.LongSupplier nanoTime;
  private volatile long busySinceNanos;

  /** Liveness on {@code nanoTime}, a monotonic clock ({@code System::nanoTime} in a worker). */
  Liveness(java.util.function.LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** The serving thread started work (or made progress in a stream) now. */
  void busy() {
    busySinceNanos = Math.max(1, nanoTime.getAsLong());
  }

  /** The serving thread waits for requests. */
  void idle() {
    busySinceNanos = 0;
  }

  /** True unless the serving thread has been in one piece of work for longer than {@code nanos}. */
  boolean isAlive(long nanos) {
    long since = busySinceNanos;
    return since == 0 || nanoTime.getAsLong() - since < nanos;
  }
}
