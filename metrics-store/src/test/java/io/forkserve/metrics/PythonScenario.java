package io.forkserve.metrics;

import java.util.List;

/**
 * What each writer process of {@link PythonReadsUsIT} is told to do, as plain data: process {@code
 * i} (0-based) applies amounts that depend on {@code i}. Chosen so that every sum is exact in
 * binary floating point, whatever order Python adds the files in.
 */
final class PythonScenario {
  static final int PROCESSES = 3;

  /** Label values with quotes, backslashes, newlines, tabs and non-ASCII (an astral one too). */
  static final List<String> QUEUES =
      List.of("default", "café \"q\"", "back\\slash", "line\nbreak", "tab\there 😀 中文");

  static final String JOBS_HELP = "Jobs done, by queue: \"quoted\", back\\slash, naïve.";
  static final String LATENCY_HELP = "Latency with \\ backslash and\nnewline.";
  static final double[] LATENCY_BUCKETS = {0.3, 1, 10};
  static final double[] LATENCY_VALUES = {0.25, 0.5, 2, 8, 64};
  static final List<GaugeMode> V1_GAUGE_MODES =
      List.of(
          GaugeMode.ALL,
          GaugeMode.LIVEALL,
          GaugeMode.MIN,
          GaugeMode.LIVEMIN,
          GaugeMode.MAX,
          GaugeMode.LIVEMAX,
          GaugeMode.SUM,
          GaugeMode.LIVESUM);

  private PythonScenario() {}

  /** Increment of jobs_total{queue=QUEUES[q], outcome="ok"} by process i. */
  static double jobsOk(int i, int q) {
    return i + q + 1;
  }

  /** Increment of jobs_total{queue=QUEUES[q], outcome="error"} by process i (even q only). */
  static double jobsError(int i, int q) {
    return q % 2 == 0 ? 0.5 * (i + 1) : 0;
  }

  /** How many times process i observes each latency value / default-bucket value. */
  static int repeats(int i) {
    return i + 1;
  }

  /** The value process i sets on gauge g_MODE (then it adds 0.25). */
  static double gaugeSet(int i) {
    return 1.5 * (i + 1);
  }

  /** Writes process i's share into {@code registry}, in format v1. */
  static void run(MetricsRegistry registry, int i) {
    Counter jobs =
        Counter.builder("jobs_total")
            .help(JOBS_HELP)
            .labelNames("queue", "outcome")
            .register(registry);
    for (int q = 0; q < QUEUES.size(); q++) {
      jobs.labels(QUEUES.get(q), "ok").inc(jobsOk(i, q));
      if (jobsError(i, q) > 0) {
        jobs.labels(QUEUES.get(q), "error").inc(jobsError(i, q));
      }
    }
    Counter.builder("plain").help("No labels here.").register(registry).inc(i + 1);

    Histogram latency =
        Histogram.builder("latency_seconds")
            .help(LATENCY_HELP)
            .labelNames("route")
            .buckets(LATENCY_BUCKETS)
            .register(registry);
    Histogram.Child route = latency.labels("/ü/\"x\"");
    Histogram defaults = Histogram.builder("default_buckets").help("Defaults.").register(registry);
    Summary payload =
        Summary.builder("payload_bytes")
            .help("Payload sizes.")
            .labelNames("kind")
            .register(registry);
    for (int r = 0; r < repeats(i); r++) {
      for (double v : LATENCY_VALUES) {
        route.observe(v);
      }
      defaults.observe(0.125);
      payload.labels("json").observe(1024);
    }
    for (GaugeMode mode : V1_GAUGE_MODES) {
      Gauge g =
          Gauge.builder("g_" + mode.fileToken())
              .help("Gauge " + mode.fileToken() + ".")
              .labelNames("shard")
              .mode(mode)
              .register(registry);
      g.labels("s1").set(gaugeSet(i));
      g.labels("s1").inc(0.25);
    }
  }
}
