package io.forkserve.metrics.file;

/** The two on-disk entry formats of prometheus_client's multiprocess files. */
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

  /** 1 or 2. */
  public int number() {
    return ordinal() + 1;
  }
}
