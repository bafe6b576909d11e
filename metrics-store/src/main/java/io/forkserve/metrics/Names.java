package io.forkserve.metrics;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Prometheus naming rules, checked when a metric is built. */
final class Names {
  /** The longest label value, in UTF-8 bytes; longer values are refused by labels(...). */
  static final int MAX_LABEL_VALUE_BYTES = 1024;

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private Names() {}

  static String checkMetricName(String name) {
    if (name == null || !METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid metric name " + quote(name) + ": must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    return name;
  }

  /** Checks label names: valid, not reserved (__*, and {@code reserved}), no duplicates. */
  static List<String> checkLabelNames(String metric, String[] labelNames, String... reserved) {
    List<String> names = new ArrayList<>(labelNames.length);
    Set<String> seen = new HashSet<>();
    for (String label : labelNames) {
      if (label == null || !LABEL_NAME.matcher(label).matches()) {
        throw new IllegalArgumentException(
            "invalid label name "
                + quote(label)
                + " for metric "
                + metric
                + ": must match [a-zA-Z_][a-zA-Z0-9_]*");
      }
      if (label.startsWith("__") || List.of(reserved).contains(label)) {
        throw new IllegalArgumentException(
            "label name " + quote(label) + " is reserved and cannot be used by metric " + metric);
      }
      if (!seen.add(label)) {
        throw new IllegalArgumentException(
            "label name " + quote(label) + " appears twice in metric " + metric);
      }
      names.add(label);
    }
    return List.copyOf(names);
  }

  /** Checks label values against the label names and copies them into a list. */
  static List<String> checkLabelValues(String metric, List<String> names, String[] values) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException(
          "metric " + metric + " has no label names; update it directly, without labels()");
    }
    if (values.length != names.size()) {
      throw new IllegalArgumentException(
          "metric "
              + metric
              + " has label names "
              + names
              + " but got "
              + values.length
              + " label values");
    }
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        throw new IllegalArgumentException(
            "label value for " + names.get(i) + " of metric " + metric + " is null");
      }
      // A UTF-16 unit is at most 3 UTF-8 bytes: only long values are measured.
      if (values[i].length() * 3 > MAX_LABEL_VALUE_BYTES
          && values[i].getBytes(StandardCharsets.UTF_8).length > MAX_LABEL_VALUE_BYTES) {
        throw new IllegalArgumentException(
            "label value for "
                + names.get(i)
                + " of metric "
                + metric
                + " is over "
                + MAX_LABEL_VALUE_BYTES
                + " bytes: label values must come from a small fixed set, not from user input");
      }
    }
    return List.of(values);
  }

  private static String quote(String s) {
    return s == null ? "null" : "'" + s + "'";
  }
}
