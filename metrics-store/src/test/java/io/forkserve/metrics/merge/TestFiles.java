package io.forkserve.metrics.merge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Fixture locations and directory copies for tests. */
final class TestFiles {
  private TestFiles() {}

  /** A fixture path under src/test/resources/fixtures/prometheus-client. */
  static Path fixture(String relative) {
    URL url = TestFiles.class.getResource("/fixtures/prometheus-client/" + relative);
    if (url == null) {
      throw new AssertionError("missing fixture " + relative);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }

  /** Copies every file of {@code from} into {@code to}, which must exist. */
  static void copyDir(Path from, Path to) {
    try (Stream<Path> files = Files.list(from)) {
      files.forEach(f -> {
        try {
          Files.copy(f, to.resolve(f.getFileName().toString()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
