package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The prometheus-client fixtures are the files Python wrote: every file listed in the copied
 * {@code SHA256SUMS} has its sum, and every data file of the folder is listed (so a damaged or an
 * added file fails here before any compatibility test reads it).
 */
class FixtureSumsTest {
  @Test
  void everyFixtureFileMatchesSha256Sums() throws Exception {
    Path root = Fixtures.prometheusClient();
    Map<String, String> listed = new TreeMap<>();
    for (String line : Files.readAllLines(root.resolve("SHA256SUMS"), StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      String[] sumAndName = line.split(" [ *]", 2);
      assertEquals(2, sumAndName.length, "malformed SHA256SUMS line: " + line);
      listed.put(Path.of(sumAndName[1]).normalize().toString(), sumAndName[0]);
    }
    List<String> wrong = new ArrayList<>();
    listed.forEach(
        (name, sum) -> {
          String actual = sha256(root.resolve(name));
          if (!actual.equals(sum)) {
            wrong.add(name + ": " + actual + " but SHA256SUMS says " + sum);
          }
        });
    assertEquals(List.of(), wrong);

    TreeSet<String> data = new TreeSet<>();
    try (Stream<Path> files = Files.walk(root)) {
      files
          .filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .filter(n -> n.endsWith(".db") || n.endsWith(".prom") || n.endsWith(".om"))
          .forEach(data::add);
    }
    assertTrue(data.contains("v0.16.0/histograms/summary_15554.db"), "fixtures found: " + data);
    assertEquals(new TreeSet<>(listed.keySet()), data, "data files and SHA256SUMS differ");
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[65536];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new AssertionError(file + ": " + e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
