package io.forkserve.metrics.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.merge.MergeSource;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.testsupport.ExpositionText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Helpers for archive tests: scraping to rows, fixtures, directory listings. */
final class ArchiveTesting {
  private ArchiveTesting() {}

  /** The text exposition of one scrape of {@code dir} merged with {@code sources}. */
  static String scrapeText(Path dir, List<MergeSource> sources) {
    return text(DirectoryScraper.scrapeOnce(dir, sources));
  }

  static String text(MetricSnapshots snapshots) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      Exposition.write(snapshots, ExpositionFormat.TEXT, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Sample rows of a text exposition: {@code name{a="x",b="y"}} with labels sorted, to value;
   * the scraper's own forkserve_metrics_* families left out.
   */
  static Map<String, Double> rows(String text) {
    Map<String, Double> rows = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#") || line.startsWith("forkserve_metrics_")) {
        continue;
      }
      ExpositionText.Sample sample = ExpositionText.parseLine(line);
      rows.put(key(sample), sample.value());
    }
    return rows;
  }

  /** A sample name with labels sorted by name: {@code name{a="x",b="y"}}. */
  static String canonical(String sample) {
    return key(ExpositionText.parseLine(sample + " 0"));
  }

  private static String key(ExpositionText.Sample sample) {
    if (sample.labels().isEmpty()) {
      return sample.name();
    }
    List<String> parts = new ArrayList<>();
    sample.labels().forEach((k, v) -> parts.add(k + "=\"" + escape(v) + "\""));
    return sample.name() + "{" + String.join(",", parts) + "}";
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Asserts equal keys and values equal within a relative 1e-9 (sums fold in another order). */
  static void assertRowsClose(Map<String, Double> expected, Map<String, Double> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (Map.Entry<String, Double> e : expected.entrySet()) {
      double a = actual.get(e.getKey());
      double x = e.getValue();
      if (Math.abs(a - x) > 1e-9 * Math.max(1, Math.abs(x))) {
        fail(e.getKey() + ": expected " + x + " but was " + a);
      }
    }
  }

  /** Names of the {@code *.db} files in {@code dir}, sorted. */
  static List<String> dbFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".db")).sorted()
          .toList();
    }
  }

  /** Every entry of {@code dir} with its size and modification time, sorted. */
  static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> {
        try {
          return p.getFileName() + " " + Files.size(p) + " " + Files.getLastModifiedTime(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sorted().toList();
    }
  }
}
