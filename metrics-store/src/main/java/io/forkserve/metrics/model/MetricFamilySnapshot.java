package io.forkserve.metrics.model;

import java.util.List;
import java.util.Objects;

/**
 * Immutable snapshot of one metric family. The name is the OpenMetrics family name: a counter
 * {@code jobs} has samples {@code jobs_total}. The constructor checks every sample name against
 * the type, and that each run of histogram buckets ends in {@code le="+Inf"} equal to the
 * {@code _count} that follows it.
 */
public final class MetricFamilySnapshot {
  private final String name;
  private final MetricType type;
  private final String help;
  private final List<Sample> samples;

  /** A family; throws IllegalArgumentException naming the first inconsistency. */
  public MetricFamilySnapshot(String name, MetricType type, String help, List<Sample> samples) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.help = Objects.requireNonNull(help, "help");
    this.samples = List.copyOf(samples);
    if (!isValidName(name)) {
      throw new IllegalArgumentException("invalid metric name: " + name);
    }
    validateSamples();
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
    return samples;
  }

  private void validateSamples() {
    String total = name + "_total";
    String bucket = name + "_bucket";
    String sum = name + "_sum";
    String count = name + "_count";
    Sample lastBucket = null;
    for (Sample s : samples) {
      String n = s.name();
      boolean ok;
      switch (type) {
        case COUNTER:
          ok = n.equals(total);
          break;
        case GAUGE:
          ok = n.equals(name);
          break;
        case INFO:
          ok = n.equals(name + "_info");
          break;
        case STATESET:
          ok = n.equals(name) && s.labels().get(name) != null;
          break;
        case SUMMARY:
          ok = n.equals(sum) || n.equals(count)
              || n.equals(name) && s.labels().get("quantile") != null;
          break;
        default:
          ok = n.equals(bucket) && s.labels().get("le") != null || n.equals(sum) || n.equals(count);
      }
      if (!ok) {
        throw new IllegalArgumentException("sample " + n + " does not belong to " + type.token()
            + " " + name);
      }
      if (type == MetricType.HISTOGRAM) {
        lastBucket = checkBucketRun(s, lastBucket, bucket, count);
      }
    }
    if (lastBucket != null) {
      checkRunEnd(lastBucket);
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
    return type.token() + " " + name + " (" + samples.size() + " samples)";
  }
}
