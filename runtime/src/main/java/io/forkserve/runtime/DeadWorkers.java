package io.forkserve.runtime;

import io.forkserve.metrics.archive.MetricsArchive;

/** What happens to the metric files of a worker that has exited. Thread-safe. */
final class DeadWorkers {
  /*
   * Metrics of dead workers. Once a worker's exit callback runs, its process is reaped and can
   * write no more; only then are its live-gauge files deleted and its other files folded into the
   * LMDB archive (MetricsArchive.fold) and deleted. /metrics merges the archive with the live
   * files, so counters never go back. Folds and close() are serialised on this object, so no
   * fold runs into a closed archive.
   */

  private static final System.Logger LOG = System.getLogger(DeadWorkers.class.getName());

  private MetricsArchive archive;

  DeadWorkers(MetricsArchive archive) {
    this.archive = archive;
  }

  /**
   * Folds the files of worker {@code pid}, which has exited, into the archive and deletes them;
   * then clears the LMDB reader slot it may have left. A failure is logged, never thrown.
   */
  synchronized void bury(long pid) {
    try {
      if (archive != null) {
        archive.fold(pid);
        archive.checkStaleReaders();
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "metric files of worker pid " + pid, e);
    }
  }

  /** Closes the archive; later calls to {@link #bury} do nothing (the server is stopping). */
  synchronized void close() {
    if (archive != null) {
      archive.close();
      archive = null;
    }
  }
}
