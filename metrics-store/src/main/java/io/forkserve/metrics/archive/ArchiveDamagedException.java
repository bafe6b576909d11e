package io.forkserve.metrics.archive;

/** The archive's data file is damaged, truncated, replaced or of another format. */
final class ArchiveDamagedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  ArchiveDamagedException(String message) {
    super(message);
  }
}
