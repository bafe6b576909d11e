package io.forkserve.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link FloatFormat#goString} against what Python printed (0.25-style exponents). */
class FloatFormatGoStringTest {
  /**
   * python/python-floats.tsv was written by /usr/bin/python3 (python/gen_floats.py): float.hex,
   * repr and prometheus_client's floatToGoString (0.25.0 head) of ~900 doubles, random bit patterns
   * included.
   */
  private static List<String[]> pythonRows() throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (InputStream in = FloatFormatGoStringTest.class.getResourceAsStream("/python/python-floats.tsv")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.startsWith("#") && !line.isEmpty()) {
          rows.add(line.split("\t"));
        }
      }
    }
    return rows;
  }

  private static double fromPythonHex(String hex) {
    switch (hex) {
      case "inf":
        return Double.POSITIVE_INFINITY;
      case "-inf":
        return Double.NEGATIVE_INFINITY;
      case "nan":
        return Double.NaN;
      default:
        return Double.parseDouble(hex);
    }
  }

  @Test
  void goString_matchesPrometheusClientForEveryRow() throws IOException {
    List<String[]> rows = pythonRows();
    assertTrue(rows.size() > 800, "rows: " + rows.size());
    for (String[] row : rows) {
      assertEquals(row[2], FloatFormat.goString(fromPythonHex(row[0])), "goString of " + row[0]);
    }
  }

  @Test
  void goString_defaultBucketsAsInPythonWrittenFiles() {
    // le labels as they appear in the fixtures' keys (written by prometheus_client).
    double[] bounds = {.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0};
    String[] le = {
      "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0",
      "7.5", "10.0"
    };
    for (int i = 0; i < bounds.length; i++) {
      assertEquals(le[i], FloatFormat.goString(bounds[i]));
    }
    assertEquals("+Inf", FloatFormat.goString(Double.POSITIVE_INFINITY));
  }
}
