package io.forkserve.runtime;

/** What the pool needs of a worker's channel to the front ({@code WorkerLink}). */
interface WorkerChannel {
  /** Requests the worker has answered. */
  long served();

  /** Fails the jobs the worker holds with {@code message}: it is being killed. */
  void goneBecause(String message);

  /** Stops giving the worker jobs. */
  void retire();

  /** True once a retired worker holds no job. */
  boolean drained();

  /** Shuts the channel's output: the worker exits on EOF. */
  void finish();
}
