package io.forkserve.runtime;

import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.internal.LazyLogger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** What happens to the metric files of a worker that has exited. Thread-safe. */
final class DeadWorkers {
  private static final System.Logger LOG = LazyLogger.of(DeadWorkers.class);

  /*
   * Metrics of dead workers. Once a worker's exit callback runs, its process is reaped and can
   * write no more; only then are its live-gauge files deleted and its other files folded into the
   * LMDB archive (MetricsArchive.fold) and deleted. /metrics merges the archive with the live
   * files, so counters never go back. Folds and close() are serialised on this object, so no
   * fold runs into a closed archive.
   *
   * A fold that fails (a full disk: ENOSPC) changed nothing and leaves the files in place, where
   * scrapes still count them; the pid stays pending and every pending fold is tried again after
   * RETRY_SECONDS and at the next burial, until it succeeds. A fold may be repeated any number
   * of times (see MetricsArchive), so a retry never counts a file twice. One line is logged per
   * pid when its fold first fails, one when it finally succeeds.
   *
   * After a round of folds that deleted files, afterFold runs (the front's scraper closes the
   * deleted files it kept open, so their disk space is freed at once, not at the next scrape).
   *
   * The archive is attached once the workers are first ready (ServerMetrics.openArchive); a
   * worker buried before that waits in pending and is folded on attach, and scrapes meanwhile
   * read its files where they are (LateArchiveSource).
   */

  static final long RETRY_SECONDS = 5;

  private final Set<Long> pending = new LinkedHashSet<>();
  private final Set<Long> failedBefore = new LinkedHashSet<>();
  private final ScheduledExecutorService retries;
  private final Runnable afterFold;
  private MetricsArchive archive;
  private boolean closed;
  private boolean retryScheduled;

  /** {@code afterFold} runs after folds that deleted files, on the folding thread. */
  DeadWorkers(Runnable afterFold) {
    this.afterFold = afterFold;
    this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "forkserve-fold-retry");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Folds the files of worker {@code pid}, which has exited, into the archive and deletes them;
   * then clears the LMDB reader slot it may have left. A failure is logged once and retried.
   */
  synchronized void bury(long pid) {
    if (closed) {
      return;
    }
    pending.add(pid);
    if (archive != null) {
      foldPending();
    }
  }

  /** Gives the archive to fold into, and folds the workers buried before. */
  synchronized void attach(MetricsArchive archive) {
    if (closed) {
      archive.close();
      return;
    }
    this.archive = archive;
    foldPending();
  }

  /** Pids whose fold has not succeeded yet. */
  synchronized List<Long> pending() {
    return new ArrayList<>(pending);
  }

  private synchronized void retry() {
    retryScheduled = false;
    if (archive != null) {
      foldPending();
    }
  }

  private void foldPending() {
    boolean folded = false;
    for (Long pid : new ArrayList<>(pending)) {
      try {
        archive.fold(pid);
        folded = true;
        archive.checkStaleReaders();
        pending.remove(pid);
        if (failedBefore.remove(pid)) {
          LOG.log(System.Logger.Level.INFO, "metric files of worker pid " + pid
              + " folded into the archive on a retry");
        }
      } catch (RuntimeException e) {
        if (failedBefore.add(pid)) {
          LOG.log(System.Logger.Level.WARNING, "cannot fold the metric files of worker pid " + pid
              + " into the archive (" + e + "); they stay in place and are still scraped;"
              + " retrying every " + RETRY_SECONDS + " s");
        }
      }
    }
    if (folded) {
      afterFold.run();
    }
    if (!pending.isEmpty() && !retryScheduled) {
      retryScheduled = true;
      retries.schedule(this::retry, RETRY_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** Closes the archive; later calls to {@link #bury} do nothing (the server is stopping). */
  synchronized void close() {
    closed = true;
    retries.shutdownNow();
    if (archive != null) {
      archive.close();
      archive = null;
    }
  }
}
