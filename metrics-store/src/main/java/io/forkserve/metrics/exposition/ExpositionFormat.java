package io.forkserve.metrics.exposition;

import java.util.Locale;

/** The exposition formats we write, chosen from an {@code Accept} header by q-value. */
public enum ExpositionFormat {
  /** {@code text/plain; version=0.0.4; charset=utf-8}. */
  TEXT("text/plain; version=0.0.4; charset=utf-8"),
  /** {@code application/openmetrics-text; version=1.0.0; charset=utf-8}. */
  OPENMETRICS("application/openmetrics-text; version=1.0.0; charset=utf-8");

  private final String contentType;

  ExpositionFormat(String contentType) {
    this.contentType = contentType;
  }

  /** The Content-Type header value. */
  public String contentType() {
    return contentType;
  }

  /**
   * The best format for an Accept header (null or empty: TEXT), honouring q-values. OpenMetrics
   * is chosen for {@code application/openmetrics-text} with no version, version 1.0.0 or 0.0.1;
   * text for {@code text/plain} with no version or 0.0.4, {@code text/*} and {@code *}{@code /*}.
   * The highest q wins; on a tie the range listed first. Ranges with q=0, other versions and
   * other types are not acceptable; when nothing is acceptable the answer is TEXT.
   */
  public static ExpositionFormat negotiate(String accept) {
    if (accept == null || accept.isBlank()) {
      return TEXT;
    }
    ExpositionFormat best = null;
    double bestQ = 0;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      ExpositionFormat format = match(parts);
      double q = quality(parts);
      if (format != null && q > bestQ) {
        best = format;
        bestQ = q;
      }
    }
    return best == null ? TEXT : best;
  }

  private static ExpositionFormat match(String[] parts) {
    String type = parts[0].trim().toLowerCase(Locale.ROOT);
    String version = param(parts, "version");
    switch (type) {
      case "application/openmetrics-text":
        return version == null || version.equals("1.0.0") || version.equals("0.0.1")
            ? OPENMETRICS
            : null;
      case "text/plain":
        return version == null || version.equals("0.0.4") ? TEXT : null;
      case "text/*":
      case "*/*":
        return TEXT;
      default:
        return null;
    }
  }

  /** The q parameter (1 when absent, 0 when malformed or out of range). */
  static double quality(String[] parts) {
    String q = param(parts, "q");
    if (q == null) {
      return 1;
    }
    try {
      double v = Double.parseDouble(q);
      return v >= 0 && v <= 1 ? v : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static String param(String[] parts, String name) {
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0 && parts[i].substring(0, eq).trim().equalsIgnoreCase(name)) {
        String v = parts[i].substring(eq + 1).trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        return v;
      }
    }
    return null;
  }
}
