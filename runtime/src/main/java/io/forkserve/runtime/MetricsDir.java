package io.forkserve.runtime;

import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.directory.MultiprocDirectoryException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * Chooses the multiprocess metrics directory: {@code METRICS_MULTIPROC_DIR} when set, else a
 * private directory on tmpfs (/dev/shm, $XDG_RUNTIME_DIR) or the temp dir; locks it for this server
 * and wipes its metric files (metrics-store's {@link MultiprocDirectory}).
 */
final class MetricsDir {
  static final String PRIVATE_PREFIX = "forkserve-metrics-";
  static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

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
          removeAbandoned(parent);
          return Files.createTempDirectory(parent, PRIVATE_PREFIX);
        } catch (IOException e) {
          // try the next candidate
        }
      }
    }
    throw new IllegalArgumentException(
        "unusable metrics directory: no writable place for a private one; set "
            + "METRICS_MULTIPROC_DIR");
  }

  /**
   * Deletes private directories of servers that died without cleaning up (kill -9): ours by name,
   * untouched for {@link #ABANDONED_AFTER}, and with no process holding their lock.
   */
  static void removeAbandoned(Path parent) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, PRIVATE_PREFIX + "*")) {
      for (Path dir : dirs) {
        removeIfAbandoned(dir);
      }
    } catch (IOException e) {
      // cannot list: leave them
    }
  }

  private static void removeIfAbandoned(Path dir) {
    try {
      if (isAbandoned(dir)) {
        MultiprocDirectory.lock(dir).close(); // throws while a live server holds it
        deleteTree(dir);
      }
    } catch (IOException | RuntimeException e) {
      // in use, or another user's: leave it
    }
  }

  private static boolean isAbandoned(Path dir) throws IOException {
    Instant touched = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
    return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) // never through a planted link
        && touched.plus(ABANDONED_AFTER).isBefore(Instant.now())
        && Files.isWritable(dir);
  }

  private static String[] candidates() {
    return new String[] {
      "/dev/shm", System.getenv("XDG_RUNTIME_DIR"), System.getProperty("java.io.tmpdir")
    };
  }

  /** Releases the lock and removes a private directory with everything in it. */
  void close() {
    directory.close();
    if (!privateDir) {
      return;
    }
    deleteTree(path);
  }

  private static void deleteTree(Path root) {
    try {
      MultiprocDirectory.deleteTree(root);
    } catch (MultiprocDirectoryException e) {
      // best effort at exit
    }
  }
}
