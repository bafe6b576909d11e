package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.testsupport.PyFile;
import io.forkserve.testsupport.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricKeyTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String encode(JsonNode key) {
    List<String> names = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (Map.Entry<String, JsonNode> label : key.get(2).properties()) {
      names.add(label.getKey());
      values.add(label.getValue().asText());
    }
    return MetricKey.encode(
        key.get(0).asText(), key.get(1).asText(), names, values, key.get(3).asText());
  }

  @Test
  void everyKeyInThePythonFixtures_reencodesToTheSameBytes() throws IOException {
    int keys = 0;
    for (String version : Fixtures.VERSIONS) {
      for (Path file : Fixtures.dbFiles(version)) {
        for (PyFile.Entry entry : PyFile.read(file, PyFile.format(version))) {
          assertEquals(entry.key(), encode(JSON.readTree(entry.key())), file.toString());
          keys++;
        }
      }
    }
    assertTrue(keys > 1000, "keys checked: " + keys);
  }

  /**
   * python/python-keys.tsv was written by /usr/bin/python3 (python/gen_keys.py): each input, with
   * labels in a given (unsorted) order, and the key json.dumps(..., sort_keys=True) made of it.
   * Covers quotes, backslashes, every control character, DEL, non-ASCII, astral characters
   * (surrogate pairs), lone surrogates and label sorting.
   */
  @Test
  void trickyStrings_encodeAsPythonDid() throws IOException {
    int cases = 0;
    try (InputStream in = getClass().getResourceAsStream("/python/python-keys.tsv")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
        if (line.startsWith("#") || line.isEmpty()) {
          continue;
        }
        String[] cols = line.split("\t");
        JsonNode spec = JSON.readTree(cols[0]);
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (JsonNode pair : spec.get(2)) {
          names.add(pair.get(0).asText());
          values.add(pair.get(1).asText());
        }
        String ours =
            MetricKey.encode(
                spec.get(0).asText(), spec.get(1).asText(), names, values, spec.get(3).asText());
        assertEquals(cols[1], ours, cols[0]);
        cases++;
      }
    }
    assertEquals(11, cases);
  }

  @Test
  void literalKeyFromAPythonFixture() {
    // Printed by Python: a key from fixtures v0.25.0/counters/counter_15565.db.
    assertEquals(
        "[\"jobs\", \"jobs_total\", {\"outcome\": \"ok\", \"queue\": \"caf\\u00e9 \\\"q\\\"\"},"
            + " \"Jobs done, by queue.\"]",
        MetricKey.encode(
            "jobs",
            "jobs_total",
            List.of("queue", "outcome"),
            List.of("café \"q\"", "ok"),
            "Jobs done, by queue."));
  }
}
