package io.forkserve.runtime;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Chooses, checks and wipes the multiprocess metrics directory: {@code METRICS_MULTIPROC_DIR}
 * when set, else a private directory on tmpfs (/dev/shm, $XDG_RUNTIME_DIR) or the temp dir.
 */
final class MetricsDir {
  final Path path;
  final boolean privateDir;

  private MetricsDir(Path path, boolean privateDir) {
    this.path = path;
    this.privateDir = privateDir;
  }

  /** Resolves and prepares the directory; IllegalArgumentException with one line if unusable. */
  static MetricsDir prepare(String configured) {
    if (configured != null && !configured.isEmpty()) {
      Path dir = Path.of(configured);
      try {
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "METRICS_MULTIPROC_DIR " + configured + " is unusable: cannot create it (" + e + ")");
      }
      check(dir);
      wipe(dir);
      return new MetricsDir(dir, false);
    }
    Path dir = createPrivate();
    return new MetricsDir(dir, true);
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
    throw new IllegalArgumentException("no writable directory for metrics; set "
        + "METRICS_MULTIPROC_DIR");
  }

  private static String[] candidates() {
    return new String[] {
      "/dev/shm", System.getenv("XDG_RUNTIME_DIR"), System.getProperty("java.io.tmpdir")
    };
  }

  private static void check(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "METRICS_MULTIPROC_DIR " + dir + " is unusable: not a directory");
    }
    if (!Files.isWritable(dir)) {
      throw new IllegalArgumentException(
          "METRICS_MULTIPROC_DIR " + dir + " is unusable: not writable");
    }
  }

  /** Deletes the metric files a previous run left. */
  private static void wipe(Path dir) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.db")) {
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "METRICS_MULTIPROC_DIR " + dir + " is unusable: cannot wipe it (" + e + ")");
    }
  }

  /** Removes a private directory and everything in it. */
  void deleteIfPrivate() {
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
