package io.forkserve.metrics.file;

/** A metric file cannot be read; {@link #reason()} says why. */
public final class MetricFileException extends Exception {
  private static final long serialVersionUID = 1L;

  private final SkipReason reason;

  /** An exception for {@code reason}, with a message naming the file and the defect. */
  public MetricFileException(SkipReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** Why the file cannot be read. */
  public SkipReason reason() {
    return reason;
  }
}
