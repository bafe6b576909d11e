package io.forkserve.metrics.file;

/**
 * The two on-disk entry formats of prometheus_client's multiprocess files. A reader of one cannot
 * read the other: prometheus_client 0.16 and 0.17 read only v1, 0.18 and later only v2.
 */
public enum FormatVersion {
  /** prometheus_client 0.16.0 to 0.17.x: key, padding, value. */
  V1(8),
  /** prometheus_client 0.18.0 and later: key, padding, value, timestamp. */
  V2(16);

  private final int valueStride;

  FormatVersion(int valueStride) {
    this.valueStride = valueStride;
  }

  /** Bytes after the padding: the value, and in v2 the timestamp. */
  public int valueStride() {
    return valueStride;
  }

  /** The version a number names (1 or 2), or an exception naming the accepted values. */
  public static FormatVersion of(int number) {
    switch (number) {
      case 1:
        return V1;
      case 2:
        return V2;
      default:
        throw new IllegalArgumentException("format version must be 1 or 2, not " + number);
    }
  }

  /**
   * The version a setting names ({@code v1} or {@code v2}, any case), or an exception naming the
   * accepted values.
   */
  public static FormatVersion fromToken(String token) {
    switch (token.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "v1":
        return V1;
      case "v2":
        return V2;
      default:
        throw new IllegalArgumentException("metrics format must be v1 or v2, not " + token);
    }
  }

  /** {@code v1} or {@code v2}, as settings name it. */
  public String token() {
    return "v" + number();
  }

  /** 1 or 2. */
  public int number() {
    return ordinal() + 1;
  }
}
