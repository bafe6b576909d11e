package io.forkserve.runtime;

import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.directory.MultiprocDirectoryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Chooses the multiprocess metrics directory: {@code METRICS_MULTIPROC_DIR} when set, else a
 * private directory on tmpfs (/dev/shm, $XDG_RUNTIME_DIR) or the temp dir; locks it for this
 * server and wipes its metric files (metrics-store's {@link MultiprocDirectory}).
 */
final class MetricsDir {
  final Path path;
  final boolean privateDir;
  final MultiprocDirectory directory;

  private MetricsDir(MultiprocDirectory directory, boolean privateDir) {
    this.directory = directory;
    this.path = directory.path();
    this.privateDir = privateDir;
  }

  /** Resolves, locks and wipes the directory; IllegalArgumentException with one line if not. */
  static MetricsDir prepare(String configured) {
    boolean privateDir = configured == null || configured.isEmpty();
    Path dir = privateDir ? createPrivate() : Path.of(configured);
    try {
      MultiprocDirectory directory = MultiprocDirectory.lock(dir);
      directory.wipe();
      return new MetricsDir(directory, privateDir);
    } catch (MultiprocDirectoryException e) {
      throw new IllegalArgumentException("unusable metrics directory: " + e.getMessage());
    }
  }

  private static Path createPrivate() {
    for (String base : candidates()) {
      if (base == null) {
        continue;
      }
      Path parent = Path.of(base);
      if (Files.isDirectory(parent) && Files.isWritable(parent)) {
        try {
          return Files.createTempDirectory(parent, "forkserve-metrics-");
        } catch (IOException e) {
          // try the next candidate
        }
      }
    }
    throw new IllegalArgumentException(
        "unusable metrics directory: no writable place for a private one; set "
            + "METRICS_MULTIPROC_DIR");
  }

  private static String[] candidates() {
    return new String[] {
      "/dev/shm", System.getenv("XDG_RUNTIME_DIR"), System.getProperty("java.io.tmpdir")
    };
  }

  /** Deletes the gauge files of live modes written by a process that is gone. */
  void processGone(long pid) {
    directory.deleteLiveGaugeFiles(pid);
  }

  /** Releases the lock and removes a private directory with everything in it. */
  void close() {
    directory.close();
    if (!privateDir) {
      return;
    }
    try (Stream<Path> files = Files.walk(path)) {
      files.sorted(Comparator.reverseOrder()).forEach(MetricsDir::deleteQuietly);
    } catch (IOException e) {
      // best effort at exit
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
