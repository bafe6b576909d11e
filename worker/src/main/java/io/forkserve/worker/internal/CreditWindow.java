package io.forkserve.worker.internal;

import io.forkserve.worker.channel.Frames;

/**
 * Decides how much credit the worker grants the front (see {@link Frames}): enough requests to
 * cover {@link Frames#CREDIT_WINDOW_NANOS} of measured serving time, never less than one batch.
 * Used by the serving thread only.
 */
final class CreditWindow {
  private static final double SMOOTHING = 0.2;

  private final int maxBatchSize;
  private final int maxWindow;
  private long granted;
  private long answered;
  private double nanosPerRequest = Double.NaN;

  CreditWindow(int maxBatchSize) {
    this.maxBatchSize = maxBatchSize;
    this.maxWindow = Frames.MAX_CREDIT_PER_BATCH_SLOT * maxBatchSize;
    this.granted = initial(maxBatchSize);
  }

  /** The credit announced in HELLO: one batch. */
  static int initial(int maxBatchSize) {
    return Math.max(1, maxBatchSize);
  }

  /** Records {@code requests} answered after {@code nanos} of serving work. */
  void served(int requests, long nanos) {
    answered += requests;
    double perRequest = (double) nanos / Math.max(1, requests);
    nanosPerRequest =
        Double.isNaN(nanosPerRequest)
            ? perRequest
            : nanosPerRequest + SMOOTHING * (perRequest - nanosPerRequest);
  }

  /** The credit to grant now (0 for none); counts it as granted. */
  int grant() {
    long window = window();
    long held = granted - answered;
    if (held >= window) {
      return 0;
    }
    int grant = (int) (window - held);
    granted += grant;
    return grant;
  }

  long window() {
    if (Double.isNaN(nanosPerRequest)) {
      return maxBatchSize;
    }
    double fits = Frames.CREDIT_WINDOW_NANOS / Math.max(1.0, nanosPerRequest);
    return Math.max(maxBatchSize, Math.min(maxWindow, (long) Math.ceil(fits)));
  }
}
