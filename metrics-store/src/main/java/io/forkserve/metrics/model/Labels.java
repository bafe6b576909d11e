package io.forkserve.metrics.model;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An immutable set of label name/value pairs, sorted by name. Validates its names in the
 * constructor; meant to be built once per series and shared by every snapshot of it.
 */
public final class Labels {
  /** No labels. */
  public static final Labels EMPTY = new Labels(new String[0], new String[0]);

  private final String[] names;
  private final String[] values;
  private String exposition; // computed once; a racy single-check is safe for a String
  private volatile byte[] expositionUtf8; // computed once; volatile publishes the contents

  private Labels(String[] names, String[] values) {
    this.names = names;
    this.values = values;
  }

  /**
   * Labels from parallel arrays in any order; rejects invalid, reserved ({@code __}) or duplicate
   * names and null values.
   */
  public static Labels of(String[] names, String[] values) {
    if (names.length != values.length) {
      throw new IllegalArgumentException("label names and values differ in length");
    }
    if (names.length == 0) {
      return EMPTY;
    }
    Integer[] order = new Integer[names.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> names[a].compareTo(names[b]));
    String[] n = new String[names.length];
    String[] v = new String[names.length];
    for (int i = 0; i < order.length; i++) {
      n[i] = checkName(names[order[i]]);
      v[i] = checkValue(values[order[i]], n[i]);
      if (i > 0 && n[i].equals(n[i - 1])) {
        throw new IllegalArgumentException("duplicate label name: " + n[i]);
      }
    }
    return new Labels(n, v);
  }

  /** These labels plus {@code name=value}, replacing an existing label of that name. */
  public Labels with(String name, String value) {
    int at = Arrays.binarySearch(names, name);
    String[] n;
    String[] v;
    if (at >= 0) {
      n = names.clone();
      v = values.clone();
      v[at] = checkValue(value, name);
    } else {
      int ins = -at - 1;
      n = new String[names.length + 1];
      v = new String[names.length + 1];
      System.arraycopy(names, 0, n, 0, ins);
      System.arraycopy(values, 0, v, 0, ins);
      n[ins] = checkName(name);
      v[ins] = checkValue(value, name);
      System.arraycopy(names, ins, n, ins + 1, names.length - ins);
      System.arraycopy(values, ins, v, ins + 1, names.length - ins);
    }
    return new Labels(n, v);
  }

  /** These labels without {@code name} (the same instance when absent). */
  public Labels without(String name) {
    int at = Arrays.binarySearch(names, name);
    if (at < 0) {
      return this;
    }
    if (names.length == 1) {
      return EMPTY;
    }
    String[] n = new String[names.length - 1];
    String[] v = new String[names.length - 1];
    System.arraycopy(names, 0, n, 0, at);
    System.arraycopy(values, 0, v, 0, at);
    System.arraycopy(names, at + 1, n, at, names.length - at - 1);
    System.arraycopy(values, at + 1, v, at, names.length - at - 1);
    return new Labels(n, v);
  }

  /** Number of labels. */
  public int size() {
    return names.length;
  }

  /** The i-th name in sorted order. */
  public String name(int i) {
    return names[i];
  }

  /** The i-th value, in name order. */
  public String value(int i) {
    return values[i];
  }

  /** The value of label {@code name}, or null. */
  public String get(String name) {
    int at = Arrays.binarySearch(names, name);
    return at >= 0 ? values[at] : null;
  }

  /**
   * The label set as written in both exposition formats, {@code {a="x",b="y\n"}} with values
   * escaped ({@code \\}, {@code \"}, {@code \n}), or the empty string for no labels.
   */
  public String exposition() {
    String e = exposition;
    if (e == null) {
      e = render();
      exposition = e;
    }
    return e;
  }

  /**
   * {@link #exposition()} as UTF-8, a read-only buffer from index 0 to its limit. The bytes are
   * computed once and shared, so a scrape copies them instead of encoding them again.
   */
  public ByteBuffer expositionUtf8() {
    return ByteBuffer.wrap(utf8()).asReadOnlyBuffer();
  }

  /**
   * Copies {@link #expositionUtf8()} into {@code dst} at {@code offset} when it fits there, and
   * returns its length; returns -1 and copies nothing when it does not fit.
   */
  public int copyExpositionUtf8(byte[] dst, int offset) {
    byte[] b = utf8();
    if (b.length > dst.length - offset) {
      return -1;
    }
    System.arraycopy(b, 0, dst, offset, b.length);
    return b.length;
  }

  private byte[] utf8() {
    byte[] b = expositionUtf8;
    if (b == null) {
      b = exposition().getBytes(StandardCharsets.UTF_8);
      expositionUtf8 = b;
    }
    return b;
  }

  private String render() {
    if (names.length == 0) {
      return "";
    }
    StringBuilder sb = new StringBuilder(16 * names.length).append('{');
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(names[i]).append("=\"");
      escapeValue(values[i], sb);
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  static void escapeValue(String s, StringBuilder sb) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\':
          sb.append("\\\\");
          break;
        case '"':
          sb.append("\\\"");
          break;
        case '\n':
          sb.append("\\n");
          break;
        default:
          sb.append(c);
      }
    }
  }

  /** True for a valid label name (not checking the reserved {@code __} prefix). */
  public static boolean isValidName(String name) {
    return MetricFamilySnapshot.isValidName(name, false);
  }

  private static String checkName(String name) {
    if (name == null || !isValidName(name) || name.startsWith("__")) {
      throw new IllegalArgumentException("invalid label name: " + name);
    }
    return name;
  }

  private static String checkValue(String value, String name) {
    if (value == null) {
      throw new IllegalArgumentException("null value for label " + name);
    }
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Labels
        && Arrays.equals(names, ((Labels) o).names)
        && Arrays.equals(values, ((Labels) o).values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(names) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return exposition();
  }
}
