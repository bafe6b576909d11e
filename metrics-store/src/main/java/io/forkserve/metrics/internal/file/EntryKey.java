package io.forkserve.metrics.internal.file;

import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A decoded entry key, {@code [metric_name, sample_name, {labels}, help]} (prometheus_client
 * before 0.12 wrote no help: {@code "Multiprocess metric"} then). Immutable; validated for the
 * metric type of its file.
 *
 * <p>Not user API: public for merge, archive and the runtime's {@code bin/metrics} tools.
 */
public final class EntryKey {
  /** The help prometheus_client gives metrics whose keys carry none. */
  public static final String DEFAULT_HELP = "Multiprocess metric";

  private final String metricName;
  private final String sampleName;
  private final Labels labels;
  private final String help;
  private final double bucketBound;

  private EntryKey(
      String metricName, String sampleName, Labels labels, String help, double bucketBound) {
    this.metricName = metricName;
    this.sampleName = sampleName;
    this.labels = labels;
    this.help = help;
    this.bucketBound = bucketBound;
  }

  /**
   * Decodes {@code json} as a key of a file of {@code type}: a counter's sample is {@code
   * NAME_total}, a gauge's {@code NAME}, a summary's {@code NAME_sum} or {@code NAME_count}, a
   * histogram's a bucket (any entry with an {@code le} label that parses as a number, as in
   * Python) or {@code NAME_sum} / {@code NAME_count}.
   *
   * @throws IllegalArgumentException naming the defect
   */
  public static EntryKey parse(String json, MetricType type) {
    JsonCursor c = new JsonCursor(json);
    c.expect('[');
    String metric = c.string();
    c.expect(',');
    String sample = c.string();
    c.expect(',');
    List<String> pairs = c.stringObject();
    String help = DEFAULT_HELP;
    if (c.peek() == ',') {
      c.expect(',');
      help = c.string();
    }
    c.expect(']');
    c.end();
    String[] names = new String[pairs.size() / 2];
    String[] values = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      names[i] = pairs.get(2 * i);
      values[i] = pairs.get(2 * i + 1);
    }
    Labels labels = Labels.of(names, values);
    if (!MetricFamilySnapshot.isValidName(metric)) {
      throw new IllegalArgumentException("invalid metric name " + metric);
    }
    double bound = Double.NaN;
    String le = labels.get("le");
    if (type == MetricType.HISTOGRAM && le != null) {
      bound = parseBound(le);
    } else if (!sampleFits(type, metric, sample)) {
      throw new IllegalArgumentException(
          "sample " + sample + " does not belong to " + type.token() + " " + metric);
    }
    return new EntryKey(metric, sample, labels, help, bound);
  }

  private static boolean sampleFits(MetricType type, String metric, String sample) {
    switch (type) {
      case COUNTER:
        return sample.equals(metric + "_total");
      case GAUGE: // an info metric's entries are NAME_info in gauge files
        return sample.equals(metric) || sample.equals(metric + "_info");
      default:
        return sample.equals(metric + "_sum") || sample.equals(metric + "_count");
    }
  }

  /** A bucket bound as Python's {@code float()} reads it; NaN is refused. */
  static double parseBound(String le) {
    String s = le.strip().toLowerCase(Locale.ROOT);
    String unsigned = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    if (unsigned.equals("inf") || unsigned.equals("infinity")) {
      return s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (!unsigned.isEmpty() && unsigned.matches("[0-9._e+-]+")) {
      try {
        return Double.parseDouble(s.replace("_", "")) + 0.0; // -0.0 and 0.0 are one bucket
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw new IllegalArgumentException("le label is not a number: " + le);
  }

  /** The family name, e.g. {@code jobs}. */
  public String metricName() {
    return metricName;
  }

  /** The sample name, e.g. {@code jobs_total}. */
  public String sampleName() {
    return sampleName;
  }

  /** The labels as stored (for buckets, {@code le} included). */
  public Labels labels() {
    return labels;
  }

  /** The help text. */
  public String help() {
    return help;
  }

  /** True for a histogram bucket entry. */
  public boolean isBucket() {
    return !Double.isNaN(bucketBound);
  }

  /** The numeric {@code le} of a bucket entry; NaN for other entries. */
  public double bucketBound() {
    return bucketBound;
  }

  @Override
  public String toString() {
    return sampleName + labels.exposition();
  }

  /** A strict reader of the little JSON a key holds: strings, one flat object of strings. */
  private static final class JsonCursor {
    private final String s;
    private int pos;

    JsonCursor(String s) {
      this.s = s;
    }

    char peek() {
      skipSpace();
      return pos < s.length() ? s.charAt(pos) : '\0';
    }

    void expect(char ch) {
      if (peek() != ch) {
        throw new IllegalArgumentException("expected '" + ch + "' at " + pos + " in key " + s);
      }
      pos++;
    }

    void end() {
      if (peek() != '\0') {
        throw new IllegalArgumentException("trailing text in key " + s);
      }
    }

    List<String> stringObject() {
      expect('{');
      List<String> out = new ArrayList<>();
      if (peek() == '}') {
        pos++;
        return out;
      }
      while (true) {
        out.add(string());
        expect(':');
        out.add(string());
        if (peek() == '}') {
          pos++;
          return out;
        }
        expect(',');
      }
    }

    String string() {
      expect('"');
      StringBuilder sb = null;
      int start = pos;
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == '"') {
          String out = sb == null ? s.substring(start, pos) : sb.toString();
          pos++;
          return out;
        }
        if (c < 0x20) {
          throw new IllegalArgumentException("control character in key string " + s);
        }
        if (c == '\\') {
          if (sb == null) {
            sb = new StringBuilder(s.substring(start, pos));
          }
          sb.append(escape());
        } else {
          if (sb != null) {
            sb.append(c);
          }
          pos++;
        }
      }
      throw new IllegalArgumentException("unterminated string in key " + s);
    }

    private char escape() {
      if (pos + 1 >= s.length()) {
        throw new IllegalArgumentException("bad escape in key " + s);
      }
      char e = s.charAt(pos + 1);
      pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          return e;
        case 'b':
          return '\b';
        case 'f':
          return '\f';
        case 'n':
          return '\n';
        case 'r':
          return '\r';
        case 't':
          return '\t';
        case 'u':
          return unicodeEscape();
        default:
          throw new IllegalArgumentException("bad escape \\" + e + " in key " + s);
      }
    }

    private char unicodeEscape() {
      int code = 0;
      for (int i = 0; i < 4; i++) {
        int digit = pos + i < s.length() ? Character.digit(s.charAt(pos + i), 16) : -1;
        if (digit < 0) {
          throw new IllegalArgumentException("bad \\u escape in key " + s);
        }
        code = code * 16 + digit;
      }
      pos += 4;
      return (char) code;
    }

    private void skipSpace() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t'
          || s.charAt(pos) == '\n' || s.charAt(pos) == '\r')) {
        pos++;
      }
    }
  }
}
