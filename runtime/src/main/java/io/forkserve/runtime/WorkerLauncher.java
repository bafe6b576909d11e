package io.forkserve.runtime;

import java.io.IOException;
import java.util.List;
import java.util.function.IntConsumer;

/** Starts and ends worker processes for the pool; a fake in tests. */
interface WorkerLauncher {
  /**
   * Starts the worker of slot {@code index} on {@code device}, one of {@code workers}; {@code
   * printSetupTrace} false asks it not to print the stack trace of a failed setup again.
   */
  Handle start(int index, String device, int workers, boolean printSetupTrace) throws IOException;

  /**
   * Ends {@code handles}: asks each to stop, waits a grace period, then kills what is left and
   * every descendant they had. Blocks until done.
   */
  void stopAll(List<Handle> handles);

  /** One started worker process. */
  interface Handle {
    long pid();

    /** Runs {@code onExit} with the exit code once the process is gone (and reaped). */
    void onExit(IntConsumer onExit);

    /** SIGKILL for the process and every descendant it has now. */
    void killTree();

    /** Resident memory in bytes; 0 when unknown. */
    long residentBytes();
  }
}
