package io.forkserve.metrics.testsupport;

import io.forkserve.metrics.file.FormatVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Python-written fixtures copied from ../shared/fixtures/prometheus-client into
 * src/test/resources/fixtures/prometheus-client (v0.16.0 writes format v1, v0.25.0 format v2).
 */
public final class Fixtures {
  /** The fixture versions and the format each wrote. */
  public static final List<String> VERSIONS = List.of("v0.16.0", "v0.25.0");

  private Fixtures() {}

  /** The root folder of one version's scenarios. */
  public static Path versionRoot(String version) {
    URL url = Fixtures.class.getResource("/fixtures/prometheus-client/" + version);
    if (url == null) {
      throw new IllegalStateException("fixtures for " + version + " missing from test resources");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The format a fixture version wrote. */
  public static FormatVersion format(String version) {
    return version.equals("v0.16.0") ? FormatVersion.V1 : FormatVersion.V2;
  }

  /** Every {@code *.db} file of a version, sorted by path. */
  public static List<Path> dbFiles(String version) {
    try (Stream<Path> files = Files.walk(versionRoot(version))) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".db"))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * True for the two {@code summary_*.db} fixtures that hold an xxd hex dump (text) instead of a
   * binary file: v0.16.0/histograms/summary_15554.db and v0.25.0/histograms/summary_15569.db. They
   * are not files Python's writer produced, so tests that replay Python's writes skip them.
   */
  public static boolean isHexDump(Path file) {
    try {
      byte[] head = new byte[10];
      try (var in = Files.newInputStream(file)) {
        return in.readNBytes(head, 0, 10) == 10
            && new String(head, java.nio.charset.StandardCharsets.US_ASCII).equals("00000000: ");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
