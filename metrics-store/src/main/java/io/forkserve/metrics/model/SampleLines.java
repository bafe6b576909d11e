package io.forkserve.metrics.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One scrape's samples of a family, held column-wise: which lines of a {@link Table} are present,
 * in exposition order, and their values. The table, built when the family's series change and
 * shared by every scrape until then, holds each line's name and the UTF-8 of its labels in one
 * array, so a writer copies a line without an object per line. Immutable: the arrays passed in
 * belong to the new object.
 */
public final class SampleLines {
  private final Table table;
  private final int[] lines;
  private final double[] values;
  private final int size;

  /** The first {@code size} entries of {@code lines} (indexes into {@code table}), valued. */
  public SampleLines(Table table, int[] lines, double[] values, int size) {
    if (size < 0 || size > lines.length || size > values.length) {
      throw new IllegalArgumentException("size " + size + " out of range");
    }
    for (int i = 0; i < size; i++) {
      if (lines[i] < 0 || lines[i] >= table.size()) {
        throw new IllegalArgumentException("line " + lines[i] + " not in the table");
      }
    }
    this.table = table;
    this.lines = lines;
    this.values = values;
    this.size = size;
  }

  /** The table the lines index. */
  public Table table() {
    return table;
  }

  /** Number of lines. */
  public int size() {
    return size;
  }

  /** The table index of the i-th line. */
  public int line(int i) {
    return lines[i];
  }

  /** The value of the i-th line. */
  public double value(int i) {
    return values[i];
  }

  /** The lines as samples, in order. */
  public List<Sample> toSamples() {
    List<Sample> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new Sample(table.name(lines[i]), table.labels(lines[i]), values[i]));
    }
    return out;
  }

  /**
   * The lines a family can have, each a sample name and labels, checked against the family when
   * built: a line's name must belong to the family's type, as {@link MetricFamilySnapshot}
   * checks. Immutable.
   */
  public static final class Table {
    /** Kinds of line, for the checks of a scrape's histogram buckets. */
    public static final byte OTHER = 0;
    public static final byte BUCKET = 1;
    public static final byte INF_BUCKET = 2;
    public static final byte COUNT = 3;

    private final String family;
    private final MetricType type;
    /** The family's few sample names, and the index of each line's name among them. */
    private final String[] distinctNames;
    private final byte[][] distinctUtf8;
    private final byte[] nameIndex;
    private final Labels[] labels;
    private final byte[] labelUtf8;
    private final int[] labelStart;
    private final byte[] kinds;

    private Table(String family, MetricType type, List<String> names, List<Labels> labels) {
      this.family = family;
      this.type = type;
      int n = names.size();
      this.labels = labels.toArray(new Labels[0]);
      this.nameIndex = new byte[n];
      this.kinds = new byte[n];
      this.labelStart = new int[n + 1];
      Map<String, Integer> distinct = new HashMap<>();
      List<String> order = new ArrayList<>();
      byte[][] utf8 = new byte[n][]; // not kept in the Labels: the table holds them
      int bytes = 0;
      for (int i = 0; i < n; i++) {
        String name = names.get(i);
        Integer at = distinct.get(name);
        if (at == null) {
          if (order.size() > Byte.MAX_VALUE) {
            throw new IllegalArgumentException("more than 128 sample names in " + family);
          }
          at = order.size();
          distinct.put(name, at);
          order.add(name);
        }
        nameIndex[i] = (byte) (int) at;
        utf8[i] = this.labels[i].exposition().getBytes(StandardCharsets.UTF_8);
        labelStart[i] = bytes;
        bytes += utf8[i].length;
      }
      labelStart[n] = bytes;
      this.labelUtf8 = new byte[bytes];
      this.distinctNames = order.toArray(new String[0]);
      this.distinctUtf8 = new byte[distinctNames.length][];
      for (int k = 0; k < distinctNames.length; k++) {
        distinctUtf8[k] = distinctNames[k].getBytes(StandardCharsets.UTF_8);
      }
      String bucket = family + "_bucket";
      String count = family + "_count";
      for (int i = 0; i < n; i++) {
        System.arraycopy(utf8[i], 0, labelUtf8, labelStart[i], utf8[i].length);
        String name = distinctNames[nameIndex[i]];
        if (type == MetricType.HISTOGRAM && name.equals(bucket)) {
          kinds[i] = "+Inf".equals(this.labels[i].get("le")) ? INF_BUCKET : BUCKET;
        } else if (type == MetricType.HISTOGRAM && name.equals(count)) {
          kinds[i] = COUNT;
        }
      }
    }

    /**
     * A table of family {@code family} of {@code type} with lines {@code names[i]}{@code
     * labels[i]}; throws IllegalArgumentException as {@link MetricFamilySnapshot} does for a line
     * that does not belong to the family.
     */
    public static Table of(String family, MetricType type, List<String> names,
        List<Labels> labels) {
      if (names.size() != labels.size()) {
        throw new IllegalArgumentException("names and labels differ in length");
      }
      Table t = new Table(family, type, names, labels);
      double[] zeros = new double[t.size()];
      int[] all = new int[t.size()];
      Arrays.setAll(all, i -> i);
      // Every line with the value 0: the snapshot checks the names, and in each run of buckets
      // the last +Inf (all counts are equal).
      new MetricFamilySnapshot(family, type, "", new SampleLines(t, all, zeros, t.size())
          .toSamples());
      return t;
    }

    /** True when this table was checked for family {@code name} of {@code type}. */
    public boolean isFor(String name, MetricType type) {
      return this.type == type && family.equals(name);
    }

    /** Number of lines. */
    public int size() {
      return labels.length;
    }

    /** The sample name of line {@code line}. */
    public String name(int line) {
      return distinctNames[nameIndex[line]];
    }

    /** The labels of line {@code line}. */
    public Labels labels(int line) {
      return labels[line];
    }

    /** The kind of line {@code line}: {@link #OTHER}, {@link #BUCKET}, ... */
    public byte kind(int line) {
      return kinds[line];
    }

    /** The UTF-8 of the sample name of line {@code line}; not to be modified. */
    public byte[] nameUtf8(int line) {
      return distinctUtf8[nameIndex[line]];
    }

    /** The UTF-8 of every line's labels, back to back; not to be modified. */
    public byte[] labelUtf8() {
      return labelUtf8;
    }

    /** Where the labels of line {@code line} begin in {@link #labelUtf8()}. */
    public int labelStart(int line) {
      return labelStart[line];
    }

    /** Where the labels of line {@code line} end in {@link #labelUtf8()}. */
    public int labelEnd(int line) {
      return labelStart[line + 1];
    }
  }
}
