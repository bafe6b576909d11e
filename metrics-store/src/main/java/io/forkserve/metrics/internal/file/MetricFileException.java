package io.forkserve.metrics.internal.file;

import java.nio.file.Path;

/**
 * A metric file cannot be read; {@link #reason()} says why.
 * Not user API: public for merge, archive and the runtime's {@code bin/metrics} tools.
 */
public final class MetricFileException extends Exception {
  private static final long serialVersionUID = 1L;

  private final SkipReason reason;
  private final String detail;

  /** An exception for {@code file}: {@code reason} and the defect in words. */
  public MetricFileException(Path file, SkipReason reason, String detail) {
    super(file + ": " + detail);
    this.reason = reason;
    this.detail = detail;
  }

  /** The defect in words, without the file name. */
  public String detail() {
    return detail;
  }

  /** Why the file cannot be read. */
  public SkipReason reason() {
    return reason;
  }
}
