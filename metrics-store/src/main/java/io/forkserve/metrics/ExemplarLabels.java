package io.forkserve.metrics;

import io.forkserve.metrics.internal.file.ExemplarFile;
import java.util.regex.Pattern;

/**
 * The labels of an exemplar, such as a trace's {@code trace_id} and {@code span_id}: checked and
 * encoded once, then attached to any number of observations with {@link
 * Histogram.Child#observe(double, ExemplarLabels)} or {@link Counter.Child#inc(double,
 * ExemplarLabels)}. OpenMetrics caps the names and values together at 128 characters. Immutable.
 */
public final class ExemplarLabels {
  /** Most characters of the label names and values together, as OpenMetrics requires. */
  public static final int MAX_CHARS = 128;

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final String[] namesAndValues;
  private final byte[] encoded;

  private ExemplarLabels(String[] namesAndValues, byte[] encoded) {
    this.namesAndValues = namesAndValues;
    this.encoded = encoded;
  }

  /**
   * Labels from name, value pairs; throws IllegalArgumentException for an odd count, an invalid
   * or repeated name, a value with a NUL, or more than {@value #MAX_CHARS} characters in all.
   */
  public static ExemplarLabels of(String... namesAndValues) {
    if (namesAndValues.length == 0 || namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("exemplar labels are name, value pairs; got "
          + namesAndValues.length + " strings");
    }
    String[] copy = namesAndValues.clone();
    int chars = 0;
    for (int i = 0; i < copy.length; i += 2) {
      String name = copy[i];
      String value = copy[i + 1];
      if (name == null || !NAME.matcher(name).matches() || name.startsWith("__")) {
        throw new IllegalArgumentException("invalid exemplar label name " + name);
      }
      for (int j = 0; j < i; j += 2) {
        if (copy[j].equals(name)) {
          throw new IllegalArgumentException("exemplar label " + name + " appears twice");
        }
      }
      if (value == null || value.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("exemplar label " + name + ": null or NUL in value");
      }
      chars += name.codePointCount(0, name.length()) + value.codePointCount(0, value.length());
    }
    if (chars > MAX_CHARS) {
      throw new IllegalArgumentException("exemplar labels have " + chars
          + " characters; OpenMetrics allows " + MAX_CHARS);
    }
    return new ExemplarLabels(copy, ExemplarFile.encodeLabels(copy));
  }

  /** {@code trace_id} and {@code span_id}, as a W3C trace context gives them. */
  public static ExemplarLabels ofTrace(String traceId, String spanId) {
    return of("trace_id", traceId, "span_id", spanId);
  }

  byte[] encoded() {
    return encoded;
  }

  @Override
  public String toString() {
    return String.join(",", namesAndValues);
  }
}
