package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpositionTextTest {
  static final String TEXT =
      String.join(
          "\n",
          "# HELP jobs_total Jobs \\\\ done.",
          "# TYPE jobs_total counter",
          "jobs_total{queue=\"a\",kind=\"x \\\"y\\\"\\n\"} 3.0",
          "jobs_total{queue=\"b\",kind=\"z\"} 4.0",
          "# TYPE up gauge",
          "up 1.0",
          "");

  @Test
  void valueFindsTheOneMatchingSeries() {
    assertEquals(3.0, ExpositionText.value(TEXT, "jobs_total", "queue", "a"));
    assertEquals(4.0, ExpositionText.value(TEXT, "jobs_total", "kind", "z"));
    assertEquals(1.0, ExpositionText.value(TEXT, "up"));
  }

  @Test
  void anAbsentOrAmbiguousSeriesFails() {
    assertThrows(AssertionError.class, () -> ExpositionText.value(TEXT, "jobs_totals"));
    assertThrows(AssertionError.class, () -> ExpositionText.value(TEXT, "down"));
    assertThrows(
        AssertionError.class, () -> ExpositionText.value(TEXT, "jobs_total", "queue", "c"));
    assertThrows(AssertionError.class, () -> ExpositionText.value(TEXT, "jobs_total"));
    assertFalse(ExpositionText.has(TEXT, "jobs_total", "queue", "c"));
    assertTrue(ExpositionText.has(TEXT, "jobs_total", "queue", "b"));
  }

  @Test
  void labelsAreUnescapedAndSorted() {
    Map<String, Double> samples = ExpositionText.samples(TEXT);
    assertEquals(3.0, samples.get(SampleKeys.of("jobs_total", "queue", "a", "kind", "x \"y\"\n")));
    assertEquals("Jobs \\ done.", ExpositionText.help(TEXT).get("jobs_total"));
    assertEquals(3, ExpositionText.rows(TEXT).size());
  }

  @Test
  void malformedLinesFail() {
    assertThrows(AssertionError.class, () -> ExpositionText.parseLine("jobs_total{queue=\"a\" 1"));
    assertThrows(AssertionError.class, () -> ExpositionText.parseLine("jobs_total"));
    assertThrows(NumberFormatException.class, () -> ExpositionText.parseLine("up one"));
    assertThrows(AssertionError.class, () -> ExpositionText.samples("up 1\nup 2\n"));
  }
}
