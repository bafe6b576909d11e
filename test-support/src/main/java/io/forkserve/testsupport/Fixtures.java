package io.forkserve.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one fixture locator: the project root (found from the module's working directory, where
 * surefire and failsafe run) and the Python-written prometheus_client fixtures kept in
 * metrics-store/src/test/resources/fixtures/prometheus-client (copied from
 * ../shared/fixtures/prometheus-client with their SHA256SUMS). Tests only read them.
 */
public final class Fixtures {
  /** The fixture versions: v0.16.0 wrote format v1, v0.25.0 format v2. */
  public static final List<String> VERSIONS = List.of("v0.16.0", "v0.25.0");

  private static final String PROMETHEUS_CLIENT =
      "metrics-store/src/test/resources/fixtures/prometheus-client";

  private Fixtures() {}

  /** The checkout's root: the nearest folder up from the working directory with bin/test. */
  public static Path projectRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("bin/test"))
          && Files.isDirectory(dir.resolve("test-support"))) {
        return dir;
      }
    }
    throw new AssertionError("no project root above " + Path.of("").toAbsolutePath());
  }

  /** The prometheus-client fixture folder (with README.md and SHA256SUMS). */
  public static Path prometheusClient() {
    return projectRoot().resolve(PROMETHEUS_CLIENT);
  }

  /** A path under the prometheus-client fixtures, e.g. {@code v0.16.0/counters}; must exist. */
  public static Path prometheusClient(String relative) {
    Path p = prometheusClient().resolve(relative);
    if (!Files.exists(p)) {
      throw new AssertionError("missing fixture " + p);
    }
    return p;
  }

  /** Every {@code *.db} file of a version, sorted by path. */
  public static List<Path> dbFiles(String version) {
    try (Stream<Path> files = Files.walk(prometheusClient(version))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".db")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies every file of {@code from} into {@code to}, which must exist. */
  public static void copyDir(Path from, Path to) {
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, to.resolve(f.getFileName().toString()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
