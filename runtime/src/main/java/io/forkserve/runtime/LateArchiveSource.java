package io.forkserve.runtime;

import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.merge.MergeSource;
import java.nio.file.attribute.FileTime;
import java.util.function.Supplier;

/**
 * The archive's merge source for the front's scraper, before and after the archive is open. The
 * front opens the archive (LMDB, a few hundred ms of CPU) only once its workers are ready, so
 * that start-up does not wait for it; scrapes before that merge the files alone. That is exact:
 * nothing is folded before the archive is open (dead workers wait in DeadWorkers' pending set,
 * their files in place), and a scrape that finds the archive open follows MetricsArchive's
 * protocol from its beginScrape on. Used by one scraper, on its scraping thread.
 */
final class LateArchiveSource implements MergeSource {
  private final Supplier<MetricsArchive> archive;
  private MergeSource open;
  private boolean inScrape;

  /** {@code archive} answers null until the archive is open. */
  LateArchiveSource(Supplier<MetricsArchive> archive) {
    this.archive = archive;
  }

  @Override
  public void beginScrape() {
    inScrape = false;
    if (open == null) {
      MetricsArchive a = archive.get();
      if (a == null) {
        return;
      }
      open = a.newMergeSource();
    }
    open.beginScrape();
    inScrape = true;
  }

  @Override
  public boolean holds(String fileName, Object fileKey, FileTime lastModified) {
    return inScrape && open.holds(fileName, fileKey, lastModified);
  }

  @Override
  public void forEachEntry(EntrySink sink) {
    if (inScrape) {
      open.forEachEntry(sink);
    }
  }

  @Override
  public void endScrape() {
    if (inScrape) {
      inScrape = false;
      open.endScrape();
    }
  }
}
