package io.forkserve.metrics.internal.file;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Encodes the key of one entry exactly as prometheus_client does: {@code json.dumps([metric_name,
 * sample_name, labels, help_text], sort_keys=True)} with Python's default separators and {@code
 * ensure_ascii}, so every key is pure ASCII. Pure function, safe from any thread.
 *
 * <p>Not user API: public for the metric classes and the archive.
 */
public final class MetricKey {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private MetricKey() {}

  /**
   * The key for one sample. {@code labelNames} and {@code labelValues} pair up by index; they are
   * written sorted by name, as Python's {@code sort_keys} does.
   */
  public static String encode(
      String family,
      String sample,
      List<String> labelNames,
      List<String> labelValues,
      String help) {
    if (labelNames.size() != labelValues.size()) {
      throw new IllegalArgumentException(
          labelNames.size() + " label names but " + labelValues.size() + " label values");
    }
    Integer[] order = sortedIndexes(labelNames);
    StringBuilder out = new StringBuilder(64 + 16 * order.length + help.length());
    out.append('[');
    appendString(out, family).append(", ");
    appendString(out, sample).append(", {");
    for (int i = 0; i < order.length; i++) {
      if (i > 0) {
        out.append(", ");
      }
      appendString(out, labelNames.get(order[i])).append(": ");
      appendString(out, Objects.requireNonNull(labelValues.get(order[i]), "label value"));
    }
    out.append("}, ");
    return appendString(out, help).append(']').toString();
  }

  private static Integer[] sortedIndexes(List<String> labelNames) {
    Integer[] order = new Integer[labelNames.size()];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparing(labelNames::get, MetricKey::compareCodePoints));
    return order;
  }

  /** Python compares strings by code point; Java's compareTo by UTF-16 unit. */
  private static int compareCodePoints(String a, String b) {
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }

  /** Appends {@code s} as a JSON string the way Python's {@code ensure_ascii} encoder does. */
  static StringBuilder appendString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      appendChar(out, s.charAt(i));
    }
    return out.append('"');
  }

  private static void appendChar(StringBuilder out, char c) {
    switch (c) {
      case '"':
        out.append("\\\"");
        return;
      case '\\':
        out.append("\\\\");
        return;
      case '\n':
        out.append("\\n");
        return;
      case '\r':
        out.append("\\r");
        return;
      case '\t':
        out.append("\\t");
        return;
      case '\b':
        out.append("\\b");
        return;
      case '\f':
        out.append("\\f");
        return;
      default:
        if (c < 0x20 || c > 0x7e) {
          out.append("\\u")
              .append(HEX[(c >> 12) & 0xf])
              .append(HEX[(c >> 8) & 0xf])
              .append(HEX[(c >> 4) & 0xf])
              .append(HEX[c & 0xf]);
        } else {
          out.append(c);
        }
    }
  }
}
