package io.forkserve.runtime;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.runtime.front.FrontMetrics;
import io.forkserve.worker.jvm.JvmMetrics;
import java.io.PrintStream;
import java.util.List;

/**
 * The server's metrics directory and what it holds: the front's own registry and metrics, the
 * archive of dead workers (see {@link DeadWorkers}), the front's process and JVM metrics
 * ({@code worker="front"}, unless turned off) and the scraper /metrics reads.
 */
final class ServerMetrics {
  final MetricsDir dir;
  final FrontMetrics front;
  final DeadWorkers deadWorkers;
  private final DirectoryScraper scraper;
  private final MetricsRegistry registry;
  private volatile MetricsArchive archive;
  private JvmMetrics jvm;

  private ServerMetrics(MetricsDir dir, MetricsRegistry registry) {
    this.dir = dir;
    this.registry = registry;
    this.front = new FrontMetrics(registry);
    this.scraper =
        new DirectoryScraper(dir.path, List.of(new LateArchiveSource(() -> archive)));
    this.deadWorkers = new DeadWorkers(scraper::releaseDeletedFiles);
  }

  /**
   * Prepares the directory named by {@code PROMETHEUS_MULTIPROC_DIR} (or a private one), saying
   * which on {@code out}, and the front's registry, writing files in {@code format}: enough for
   * workers to start. The archive and the JVM metrics come with {@link #openArchive}.
   * IllegalArgumentException with one line when the directory is unusable.
   */
  static ServerMetrics open(PrintStream out, FormatVersion format) {
    MetricsDir dir = MetricsDir.prepare(System.getenv(MetricsRegistry.ENV));
    out.println(
        "forkserve: metrics directory "
            + dir.path
            + (dir.privateDir ? " (private to this server)" : " (wiped)"));
    MetricsRegistry registry;
    try {
      registry = MetricsRegistry.builder(dir.path).formatVersion(format).open();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "metrics directory " + dir.path + " is unusable: " + e.getMessage());
    }
    return new ServerMetrics(dir, registry);
  }

  /**
   * Opens the archive of dead workers (burying any that died before) and starts the front's
   * process and JVM metrics unless {@code jvmMetrics} is false. The supervisor calls it once the
   * workers are ready: LMDB's start-up (jnr-ffi generates its bindings) and the management
   * beans' take about as much CPU as a worker's start, which on a small machine the workers'
   * start-up would otherwise share. IllegalArgumentException with one line when the archive is
   * unusable.
   */
  void openArchive(PrintStream out, boolean jvmMetrics) {
    try {
      archive = MetricsArchive.open(dir.path);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "metrics archive in " + dir.path + " is unusable: " + e.getMessage());
    }
    deadWorkers.attach(archive);
    if (jvmMetrics) {
      try {
        jvm = JvmMetrics.start(registry, JvmMetrics.FRONT);
      } catch (RuntimeException e) {
        out.println("forkserve: no JVM metrics for the front: " + e.getMessage());
      }
    }
  }

  /**
   * The scraper of /metrics, merging the live files with the archive once {@link #openArchive}
   * opened it; it closes the files a fold deleted at once. Owned here: {@link #close} closes it.
   */
  DirectoryScraper scraper() {
    return scraper;
  }

  /**
   * Closes the scraper (after a scrape in progress), the archive and the registry, then releases
   * (or removes) the directory.
   */
  void close() {
    if (jvm != null) {
      jvm.close();
    }
    scraper.close();
    deadWorkers.close();
    registry.close();
    dir.close();
  }
}
