package io.forkserve.micrometer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Writes the values of function-backed meters (gauges, function counters and timers, long task
 * timers, the {@code _max} of timers and summaries) into their series, every interval, on one
 * daemon thread.
 */
final class Sampler implements AutoCloseable {
  /*
   * The file values of sampled meters are as old as the last pass: at most one interval plus
   * the pass itself. A pass calls every item in registration order; an item that throws is
   * counted in SAMPLE_ERRORS (by metric) and skipped, so one broken gauge function costs only
   * its own series, never the pass or a scrape (scrapes read the files, not the functions).
   */

  /** Counter of failed samples, labelled {@code metric}. */
  static final String SAMPLE_ERRORS = "forkserve_micrometer_sample_errors";

  /** One function-backed series. */
  interface Item {
    /** The Prometheus name, for the error counter. */
    String metric();

    /** Reads the function and writes the file value. */
    void sample();
  }

  private final List<Item> items = new CopyOnWriteArrayList<>();
  private final Families families;
  private final PeriodicPass passes;

  Sampler(Families families, Duration interval) {
    this.families = families;
    this.passes =
        new PeriodicPass("forkserve-micrometer-sampler", interval, interval, this::sampleAll);
  }

  /** Adds {@code item} and samples it once now, so its series has a value at once. */
  void add(Item item) {
    items.add(item);
    sampleOne(item);
  }

  void remove(Item item) {
    items.remove(item);
  }

  /** One pass over every item. */
  void sampleAll() {
    for (Item item : items) {
      sampleOne(item);
    }
  }

  private void sampleOne(Item item) {
    try {
      item.sample();
    } catch (RuntimeException | LinkageError e) {
      errors(item.metric());
    }
  }

  private void errors(String metric) {
    families.countError(
        SAMPLE_ERRORS,
        "Samples of function-backed Micrometer meters that threw, by metric; skipped.",
        metric);
  }

  /** Stops the thread after a last pass. */
  @Override
  public void close() {
    passes.close();
  }
}
