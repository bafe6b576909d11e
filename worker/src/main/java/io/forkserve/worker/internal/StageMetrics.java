package io.forkserve.worker.internal;

import io.forkserve.metrics.ExemplarLabels;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;

/**
 * The worker's built-in metrics: time per stage labelled by function, and batch sizes. Written by
 * the serving thread only. The stage histograms carry the request's trace as exemplar.
 */
final class StageMetrics {
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

  private final Histogram.Child decode;
  private final Histogram.Child predict;
  private final Histogram.Child encode;
  private final Histogram.Child batchSize;

  private StageMetrics(
      Histogram.Child decode,
      Histogram.Child predict,
      Histogram.Child encode,
      Histogram.Child batchSize) {
    this.decode = decode;
    this.predict = predict;
    this.encode = encode;
    this.batchSize = batchSize;
  }

  /**
   * Registers the metrics in {@code registry}, labelled with the API's name in the server's
   * config ({@code api}) and its class name ({@code function}).
   */
  static StageMetrics register(
      MetricsRegistry registry, String apiName, Class<?> api, boolean batched) {
    Histogram stages =
        Histogram.builder("forkserve_stage_duration_seconds")
            .help("Time spent in each serving stage, by stage and user function.")
            .labelNames("api", "stage", "function")
            .register(registry);
    Histogram batches =
        Histogram.builder("forkserve_batch_size")
            .help("Number of requests passed to one predict call.")
            .labelNames("api")
            .buckets(BATCH_BUCKETS)
            .register(registry);
    String name = api.getSimpleName();
    String predictFunction = batched ? ".predictBatch" : ".predict";
    return new StageMetrics(
        stages.labels(apiName, "decode", name + ".decodeRequest"),
        stages.labels(apiName, "predict", name + predictFunction),
        stages.labels(apiName, "encode", name + ".encodeResponse"),
        batches.labels(apiName));
  }

  /** {@code trace}: the request's exemplar (its W3C trace), or null. */
  void decoded(long nanos, ExemplarLabels trace) {
    decode.observe(nanos / 1e9, trace);
  }

  void predicted(long nanos, int batch, ExemplarLabels trace) {
    predict.observe(nanos / 1e9, trace);
    batchSize.observe(batch);
  }

  void encoded(long nanos, ExemplarLabels trace) {
    encode.observe(nanos / 1e9, trace);
  }
}
