package io.forkserve.metrics;

import io.forkserve.metrics.file.FormatVersion;
import java.io.Closeable;
import java.nio.file.Path;

/**
 * One process's metrics, written into memory-mapped files in a multiprocess directory.
 *
 * <p>API STUB: the signatures are the contract; the implementation lands with the writer.
 */
public final class MetricsRegistry implements Closeable {

  /** Environment variable naming the directory; {@link #FALLBACK_ENV} is read when unset. */
  public static final String ENV = "METRICS_MULTIPROC_DIR";
  /** prometheus_client's variable, read when {@link #ENV} is unset. */
  public static final String FALLBACK_ENV = "PROMETHEUS_MULTIPROC_DIR";

  private MetricsRegistry() {}

  /** Opens a registry on {@code METRICS_MULTIPROC_DIR}, else {@code PROMETHEUS_MULTIPROC_DIR}. */
  public static MetricsRegistry fromEnvironment() {
    throw new UnsupportedOperationException("stub");
  }

  /** Opens a registry on {@code dir} for this process, in format v2. */
  public static MetricsRegistry open(Path dir) {
    return builder(dir).open();
  }

  /** A builder to choose the file ID (pid) and format version. */
  public static Builder builder(Path dir) {
    throw new UnsupportedOperationException("stub");
  }

  /** The multiprocess directory. */
  public Path directory() {
    throw new UnsupportedOperationException("stub");
  }

  /** The file ID: the pid unless the builder set another. */
  public long pid() {
    throw new UnsupportedOperationException("stub");
  }

  /** The format version of the files this registry writes. */
  public FormatVersion formatVersion() {
    throw new UnsupportedOperationException("stub");
  }

  /** Flushes and unmaps this registry's files; handles must not be used afterwards. */
  @Override
  public void close() {
    throw new UnsupportedOperationException("stub");
  }

  /** Options for {@link MetricsRegistry}. */
  public static final class Builder {
    private Builder() {}

    /** The file ID written in file names; defaults to this process's pid. */
    public Builder pid(long pid) {
      throw new UnsupportedOperationException("stub");
    }

    /** The on-disk format; defaults to {@link FormatVersion#V2}. */
    public Builder formatVersion(FormatVersion version) {
      throw new UnsupportedOperationException("stub");
    }

    /** Opens the registry; the directory must exist and be writable. */
    public MetricsRegistry open() {
      throw new UnsupportedOperationException("stub");
    }
  }
}
