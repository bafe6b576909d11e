package io.forkserve.metrics.model;

import java.util.List;
import java.util.Objects;

/**
 * Immutable snapshot of one metric family. The name is the OpenMetrics family name: a counter
 * {@code jobs} has samples {@code jobs_total}. The constructor checks every sample name against
 * the type, and that each run of histogram buckets ends in {@code le="+Inf"} equal to the
 * {@code _count} that follows it. A family made of {@link SampleLines} had its names checked
 * when their table was built, and has the rest checked here.
 */
public final class MetricFamilySnapshot {
  private final String name;
  private final MetricType type;
  private final String help;
  private final SampleLines lines;
  private volatile List<Sample> samples; // of lines: made when first asked for

  /** A family; throws IllegalArgumentException naming the first inconsistency. */
  public MetricFamilySnapshot(String name, MetricType type, String help, List<Sample> samples) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.help = Objects.requireNonNull(help, "help");
    this.samples = List.copyOf(samples);
    this.lines = null;
    if (!isValidName(name)) {
      throw new IllegalArgumentException("invalid metric name: " + name);
    }
    validateSamples();
  }

  /**
   * A family whose samples are {@code lines}, of a table checked for this family when built;
   * checks here only what depends on the values (each +Inf bucket equal to the {@code _count}
   * after it).
   */
  public MetricFamilySnapshot(String name, MetricType type, String help, SampleLines lines) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.help = Objects.requireNonNull(help, "help");
    this.lines = Objects.requireNonNull(lines, "lines");
    if (!lines.table().isFor(name, type)) {
      throw new IllegalArgumentException("lines of another family than " + type.token() + " "
          + name);
    }
    validateLines();
  }

  /** True for a valid metric name. */
  public static boolean isValidName(String name) {
    return isValidName(name, true);
  }

  /** {@code [a-zA-Z_:][a-zA-Z0-9_:]*}, or without the colons. */
  static boolean isValidName(String name, boolean colons) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
          || c == ':' && colons || c >= '0' && c <= '9' && i > 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** The family name (for counters, without {@code _total}). */
  public String name() {
    return name;
  }

  /** The type. */
  public MetricType type() {
    return type;
  }

  /** The help text, unescaped. */
  public String help() {
    return help;
  }

  /** The samples, grouped by label set, in exposition order. */
  public List<Sample> samples() {
    List<Sample> s = samples;
    if (s == null) {
      s = List.copyOf(lines.toSamples());
      samples = s;
    }
    return s;
  }

  /** Number of samples. */
  public int sampleCount() {
    return lines != null ? lines.size() : samples().size();
  }

  /** The samples column-wise, when the family was made so; else null. */
  public SampleLines lines() {
    return lines;
  }

  private void validateLines() {
    SampleLines.Table table = lines.table();
    int lastBucket = -1;
    for (int i = 0; i < lines.size(); i++) {
      byte kind = table.kind(lines.line(i));
      if (kind == SampleLines.Table.BUCKET || kind == SampleLines.Table.INF_BUCKET) {
        lastBucket = i;
        continue;
      }
      if (lastBucket >= 0) {
        checkLinesRunEnd(table, lastBucket);
        if (kind == SampleLines.Table.COUNT
            && Double.compare(lines.value(i), lines.value(lastBucket)) != 0) {
          throw new IllegalArgumentException(name + "_count " + lines.value(i)
              + " differs from its +Inf bucket " + lines.value(lastBucket));
        }
      }
      lastBucket = -1;
    }
    if (lastBucket >= 0) {
      checkLinesRunEnd(table, lastBucket);
    }
  }

  private void checkLinesRunEnd(SampleLines.Table table, int lastBucket) {
    if (table.kind(lines.line(lastBucket)) != SampleLines.Table.INF_BUCKET) {
      throw new IllegalArgumentException(name + " buckets must end with le=\"+Inf\"");
    }
  }

  private void validateSamples() {
    String[] allowed = sampleNames();
    String lastOk = null; // the samples of a family share a few name instances
    Sample lastBucket = null;
    for (Sample s : samples) { // only the constructor from samples calls this
      String n = s.name();
      boolean ok;
      if (type == MetricType.COUNTER || type == MetricType.GAUGE || type == MetricType.INFO) {
        ok = n == lastOk || n.equals(allowed[0]);
      } else if (type == MetricType.STATESET) {
        ok = (n == lastOk || n.equals(name)) && s.labels().get(name) != null;
      } else if (type == MetricType.SUMMARY) {
        ok = n.equals(allowed[0]) || n.equals(allowed[1])
            || n.equals(name) && s.labels().get("quantile") != null;
      } else {
        ok = (n == lastOk && lastBucket != null || n.equals(allowed[0]))
            && s.labels().get("le") != null || n.equals(allowed[1]) || n.equals(allowed[2]);
      }
      if (!ok) {
        throw new IllegalArgumentException("sample " + n + " does not belong to " + type.token()
            + " " + name);
      }
      lastOk = n;
      if (type == MetricType.HISTOGRAM) {
        lastBucket = checkBucketRun(s, lastBucket, allowed[0], allowed[2]);
      }
    }
    if (lastBucket != null) {
      checkRunEnd(lastBucket);
    }
  }

  /**
   * The sample names this type allows besides labelled ones: {@code _total}; the name; {@code
   * _info}; {@code _sum}, {@code _count}; {@code _bucket}, {@code _sum}, {@code _count}.
   */
  private String[] sampleNames() {
    switch (type) {
      case COUNTER:
        return new String[] {name + "_total"};
      case GAUGE:
      case STATESET:
        return new String[] {name};
      case INFO:
        return new String[] {name + "_info"};
      case SUMMARY:
        return new String[] {name + "_sum", name + "_count"};
      default:
        return new String[] {name + "_bucket", name + "_sum", name + "_count"};
    }
  }

  private Sample checkBucketRun(Sample s, Sample lastBucket, String bucket, String count) {
    if (s.name().equals(bucket)) {
      return s;
    }
    if (lastBucket != null) {
      checkRunEnd(lastBucket);
      if (s.name().equals(count) && Double.compare(s.value(), lastBucket.value()) != 0) {
        throw new IllegalArgumentException(name + "_count " + s.value()
            + " differs from its +Inf bucket " + lastBucket.value());
      }
    }
    return null;
  }

  private void checkRunEnd(Sample lastBucket) {
    if (!"+Inf".equals(lastBucket.labels().get("le"))) {
      throw new IllegalArgumentException(name + " buckets must end with le=\"+Inf\"");
    }
  }

  @Override
  public String toString() {
    return type.token() + " " + name + " (" + sampleCount() + " samples)";
  }
}
