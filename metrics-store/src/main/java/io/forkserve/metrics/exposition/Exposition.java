package io.forkserve.metrics.exposition;

import io.forkserve.metrics.model.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes snapshots in an exposition format.
 *
 * <p>API STUB: signatures are the contract.
 */
public final class Exposition {
  private Exposition() {}

  /** Writes {@code snapshots} to {@code out} (not closed, not compressed). */
  public static void write(MetricSnapshots snapshots, ExpositionFormat format, OutputStream out)
      throws IOException {
    throw new UnsupportedOperationException("stub");
  }

  /** True when an {@code Accept-Encoding} header allows gzip (q-value above zero). */
  public static boolean acceptsGzip(String acceptEncoding) {
    throw new UnsupportedOperationException("stub");
  }
}
