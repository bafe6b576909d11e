package io.forkserve.metrics.exposition;

/**
 * The exposition formats we write, chosen from an {@code Accept} header by q-value.
 *
 * <p>API STUB: signatures are the contract.
 */
public enum ExpositionFormat {
  /** {@code text/plain; version=0.0.4; charset=utf-8}. */
  TEXT,
  /** {@code application/openmetrics-text; version=1.0.0; charset=utf-8}. */
  OPENMETRICS;

  /** The Content-Type header value. */
  public String contentType() {
    throw new UnsupportedOperationException("stub");
  }

  /** The best format for an Accept header (null or empty: TEXT), honouring q-values. */
  public static ExpositionFormat negotiate(String accept) {
    throw new UnsupportedOperationException("stub");
  }
}
