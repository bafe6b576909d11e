package io.forkserve.metrics.archive;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.model.MetricType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The records of the archive, all in LMDB's main database, with printable ASCII keys so that
 * {@code mdb_dump -p} shows them ({@code \t} prints as {@code \09}):
 *
 * <pre>
 * key                                                value
 * meta\tformat                                       "forkserve-archive 1"
 * meta\tfolds                                        "N": folds committed so far
 * fold\t0000000042                 "pid=123\tat=ISO-8601\tfolded=a.db,b.db\tdeleted=c.db"
 * file\tcounter_123.db\t(dev=803,ino=4711)           "mtime=NANOS\tsize=BYTES\tpid=123\tfold=42"
 * series\tTYPE\tMODE\tPID\tJSON                      +--------------+--------------+
 *                                                    | float64 value| float64 time |  little-endian
 *                                                    +--------------+--------------+
 * series\tTYPE\tMODE\tPID\t#SHA256HEX                value as above, then the JSON key (UTF-8)
 * </pre>
 *
 * TYPE is the file type token ({@code counter}, {@code gauge}, {@code histogram}, {@code
 * summary}); MODE the gauge merge rule ({@code all}, {@code min}, {@code max}, {@code sum}, {@code
 * mostrecent}) or empty; PID the folded process for {@code all} gauges (they keep one series per
 * pid) and empty otherwise; JSON the entry key exactly as the metric files hold it. A key longer
 * than LMDB's limit (511 bytes) is replaced by the SHA-256 of its JSON, and the JSON moves into
 * the value. The time is a mostrecent or all gauge's; a summed series (counters, histograms,
 * summaries, sum gauges) keeps there the remainder of its exact sum instead: value + remainder is
 * the folded values' exact sum, value that sum rounded (ExactSum; archives whose sums hold 0
 * there read the same).
 */
final class ArchiveLayout {
  static final String SERIES_PREFIX = "series\t";
  static final String FILE_PREFIX = "file\t";
  static final String FOLD_PREFIX = "fold\t";
  static final String META_FORMAT = "meta\tformat";
  static final String META_FOLDS = "meta\tfolds";
  static final String FORMAT = "forkserve-archive 1";

  static final int VALUE_OFFSET = 0;
  static final int TIMESTAMP_OFFSET = 8;
  static final int VALUE_LENGTH = 16;
  static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

  private ArchiveLayout() {}

  /** The series key text for an entry, or its hashed form when longer than {@code maxKey}. */
  static String seriesKey(MetricType type, MergeRule rule, String pid, String json, int maxKey) {
    String head = SERIES_PREFIX + type.token() + "\t" + (rule == null ? "" : rule.token())
        + "\t" + pid + "\t";
    String full = head + json;
    return full.length() <= maxKey ? full : head + "#" + sha256(json);
  }

  /** True when a series key carries the hash of its JSON (the JSON is in the value). */
  static boolean isHashed(String seriesKey) {
    return seriesKey.charAt(seriesKey.lastIndexOf('\t') + 1) == '#';
  }

  static String fileKey(String fileName, Object fileKey) {
    return FILE_PREFIX + fileName + "\t" + fileKey;
  }

  static String foldKey(long seq) {
    return FOLD_PREFIX + String.format("%010d", seq);
  }

  /** A decoded series key. */
  static final class SeriesKey {
    final MetricType type;
    final MergeRule rule;
    /** The rule as users name it: the plain (non-live) gauge mode; null for non-gauges. */
    final GaugeMode mode;
    final String pid;
    final String jsonOrHash;

    private SeriesKey(MetricType type, MergeRule rule, String pid, String jsonOrHash) {
      this.type = type;
      this.rule = rule;
      this.mode = rule == null ? null : GaugeMode.fromFileToken(rule.token());
      this.pid = pid;
      this.jsonOrHash = jsonOrHash;
    }

    boolean hashed() {
      return jsonOrHash.startsWith("#");
    }

    /** Parses {@code series\tTYPE\tMODE\tPID\tJSON}; throws IllegalArgumentException if bad. */
    static SeriesKey parse(String key) {
      String[] parts = key.split("\t", 5);
      if (parts.length != 5 || !key.startsWith(SERIES_PREFIX) || !printable(key)) {
        throw new IllegalArgumentException("not a series key: " + shown(key));
      }
      MetricType type = null;
      for (MetricType t : MetricType.values()) {
        type = t.isFileType() && t.token().equals(parts[1]) ? t : type;
      }
      MergeRule rule = parts[2].isEmpty() ? null : MergeRule.fromToken(parts[2]);
      if (type == null || (type == MetricType.GAUGE) != (rule != null)) {
        throw new IllegalArgumentException("bad type or mode in series key: " + shown(key));
      }
      return new SeriesKey(type, rule, parts[3], parts[4]);
    }
  }

  /** {@code name=value} fields separated by tabs, as in file and fold records. */
  static Map<String, String> fields(String text) {
    Map<String, String> out = new HashMap<>();
    for (String field : text.split("\t")) {
      int eq = field.indexOf('=');
      if (eq > 0) {
        out.put(field.substring(0, eq), field.substring(eq + 1));
      }
    }
    return out;
  }

  /** The longest record the archive writes (a hashed series' JSON is the longest). */
  static final int MAX_RECORD = 1 << 20;

  /** Decodes a record; a record longer than any the archive writes is damage. */
  static String string(ByteBuffer buf) {
    if (buf.remaining() > MAX_RECORD) {
      throw new ArchiveDamagedException("archive record of " + buf.remaining() + " bytes");
    }
    byte[] bytes = new byte[buf.remaining()];
    buf.duplicate().get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static ByteBuffer put(ByteBuffer target, String text) {
    target.clear();
    target.put(text.getBytes(StandardCharsets.UTF_8)).flip();
    return target;
  }

  /** True when {@code text} is printable ASCII and tabs, as every key the archive writes. */
  static boolean printable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** {@code text} safe to print: at most 80 characters, anything unprintable as {@code \\xNN}. */
  static String shown(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < 80; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c <= 0x7e ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    }
    return text.length() > 80 ? out + "..." : out.toString();
  }

  private static String sha256(String json) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(json.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
