package io.forkserve.metrics.internal.file;

import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.model.MetricType;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed metric file name: {@code counter_ID.db}, {@code histogram_ID.db}, {@code
 * summary_ID.db} or {@code gauge_MODE_ID.db}. The type is the first {@code _}-separated part;
 * the ID (the writer's pid) is non-empty and contains no {@code _}. forkserve's writer may add
 * stripe files of one process for additive types, {@code histogram_PIDsN.db} (ID {@code PIDsN}, N
 * a stripe number of 1 or more): prometheus_client sums them with the rest, and {@link
 * #processId()} names the process. Immutable.
 *
 * <p>The reader accepts any such name, as prometheus_client's collector does; a writer produces
 * only the narrower {@link #isWriterName() writer names}: the ID is a pid (decimal digits, no
 * leading zero) or, for the additive types, a stripe ID {@code PIDsN}. Only writer names are ever
 * deleted.
 *
 * <p>Not user API: public for the registry, merge, archive, the directory and the {@code
 * bin/metrics} tools.
 */
public final class MetricFileName {
  private static final String SUFFIX = ".db";
  /** Glob of the exemplar side files, for directory listings. */
  public static final String EXEMPLARS_GLOB = "exemplars_*.ex";
  private static final String EXEMPLARS_PREFIX = "exemplars_";
  private static final String EXEMPLARS_SUFFIX = ".ex";
  private static final Pattern STRIPE_ID = Pattern.compile("([0-9]+)s[1-9][0-9]*");
  private static final Pattern PID = Pattern.compile("[1-9][0-9]{0,17}");
  private static final Pattern WRITER_STRIPE_ID =
      Pattern.compile("[1-9][0-9]{0,17}s[1-9][0-9]{0,8}");

  private final MetricType type;
  private final String mode;
  private final MergeRule rule;
  private final String id;

  private MetricFileName(MetricType type, String mode, String id) {
    this.type = type;
    this.mode = mode;
    this.rule = MergeRule.of(type, mode == null ? null : MergeRule.ofGaugeMode(mode));
    this.id = id;
  }

  /** The parsed name, or null when {@code fileName} is not a metric file name. */
  public static MetricFileName parse(String fileName) {
    if (!fileName.endsWith(SUFFIX)) {
      return null;
    }
    String[] parts = fileName.substring(0, fileName.length() - SUFFIX.length()).split("_", -1);
    MetricType type = typeOf(parts[0]);
    if (type == null) {
      return null;
    }
    String mode = null;
    int idPart = 1;
    if (type == MetricType.GAUGE) {
      if (parts.length != 3 || MergeRule.ofGaugeMode(parts[1]) == null) {
        return null;
      }
      mode = parts[1];
      idPart = 2;
    }
    if (parts.length != idPart + 1 || parts[idPart].isEmpty()) {
      return null;
    }
    return new MetricFileName(type, mode, parts[idPart]);
  }

  /**
   * The parsed name when {@code fileName} is one a writer (prometheus_client's or ours) produces,
   * else null: {@code counter_PID.db}, {@code histogram_PID.db}, {@code summary_PID.db}, {@code
   * gauge_MODE_PID.db} with a prometheus_client mode, and {@code TYPE_PIDsN.db} stripes of the
   * additive types.
   */
  public static MetricFileName parseWriterName(String fileName) {
    MetricFileName name = parse(fileName);
    return name != null && name.isWriterName() ? name : null;
  }

  /** True when a writer produces this name (see {@link #parseWriterName}). */
  public boolean isWriterName() {
    return PID.matcher(id).matches()
        || (type != MetricType.GAUGE && WRITER_STRIPE_ID.matcher(id).matches());
  }

  /** True when this is a writer name of process {@code pid}, stripe files included. */
  public boolean isWrittenBy(long pid) {
    return isWriterName() && processId().equals(Long.toString(pid));
  }

  /**
   * The file name for {@code type}, gauge {@code mode} token ({@code livesum}; gauges only, else
   * null) and {@code id}.
   */
  public static String format(MetricType type, String mode, String id) {
    if ((type == MetricType.GAUGE) != (mode != null)
        || (mode != null && MergeRule.ofGaugeMode(mode) == null)
        || id.isEmpty()
        || id.contains("_")) {
      throw new IllegalArgumentException("no metric file for " + type + " " + mode + " " + id);
    }
    String prefix = type.token() + (mode == null ? "" : "_" + mode);
    return prefix + "_" + id + SUFFIX;
  }

  private static MetricType typeOf(String token) {
    for (MetricType t : MetricType.values()) {
      if (t.isFileType() && t.token().equals(token)) {
        return t;
      }
    }
    return null;
  }

  /** The metric type of every entry in the file. */
  public MetricType type() {
    return type;
  }

  /** The gauge mode token as in the name ({@code livesum}), or null for other types. */
  public String mode() {
    return mode;
  }

  /** How the file's values merge with other files': SUM for all but gauges. */
  public MergeRule rule() {
    return rule;
  }

  /** True for a gauge file of a live mode, deleted when its process dies. */
  public boolean isLive() {
    return mode != null && MergeRule.isLiveMode(mode);
  }

  /** The file ID, normally the writer's pid. */
  public String id() {
    return id;
  }

  /**
   * The ID of the process that wrote the file: the ID without a stripe suffix ({@code 1234} for
   * {@code 1234s1} of a counter, histogram or summary file), else the whole ID.
   */
  public String processId() {
    if (type == MetricType.GAUGE) {
      return id;
    }
    Matcher m = STRIPE_ID.matcher(id);
    return m.matches() ? m.group(1) : id;
  }

  /** The ID of stripe {@code stripe} (1 or more) of process {@code pid}: {@code PIDsN}. */
  public static String stripeId(long pid, int stripe) {
    if (stripe < 1) {
      throw new IllegalArgumentException("stripe numbers start at 1, got " + stripe);
    }
    return pid + "s" + stripe;
  }

  /**
   * The exemplar side file of process {@code pid}: {@code exemplars_PID.ex}. It does not end in
   * {@code .db}, so prometheus_client's collector never reads it; {@link #parse} returns null for
   * it. See {@link ExemplarFile}.
   */
  public static String exemplarsName(long pid) {
    if (pid < 1) {
      throw new IllegalArgumentException("no exemplar file for pid " + pid);
    }
    return EXEMPLARS_PREFIX + pid + EXEMPLARS_SUFFIX;
  }

  /** {@link #exemplarsName(long)} of a process ID as in file names, or null if not a pid. */
  public static String exemplarsName(String processId) {
    return PID.matcher(processId).matches() ? EXEMPLARS_PREFIX + processId + EXEMPLARS_SUFFIX
        : null;
  }

  /** The pid of an exemplar side file name {@code exemplars_PID.ex}, or -1 for other names. */
  public static long exemplarsPid(String fileName) {
    if (!fileName.startsWith(EXEMPLARS_PREFIX) || !fileName.endsWith(EXEMPLARS_SUFFIX)) {
      return -1;
    }
    String id = fileName.substring(EXEMPLARS_PREFIX.length(),
        fileName.length() - EXEMPLARS_SUFFIX.length());
    return PID.matcher(id).matches() ? Long.parseLong(id) : -1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MetricFileName
        && type == ((MetricFileName) o).type
        && Objects.equals(mode, ((MetricFileName) o).mode)
        && id.equals(((MetricFileName) o).id);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, mode, id);
  }

  @Override
  public String toString() {
    return format(type, mode, id);
  }
}
