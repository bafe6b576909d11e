package io.forkserve.benchmarks;

import io.forkserve.metrics.directory.MultiprocDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Temporary multiprocess directories for the writer benchmarks. */
final class BenchDirs {
  private BenchDirs() {}

  /** A new empty directory under the system temp dir. */
  static Path create(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes {@code dir} and everything in it; null is ignored. */
  static void delete(Path dir) {
    if (dir != null) {
      MultiprocDirectory.deleteTree(dir);
    }
  }
}
