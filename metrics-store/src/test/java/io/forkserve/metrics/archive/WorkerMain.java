package io.forkserve.metrics.archive;

import io.forkserve.metrics.MetricsRegistry;
import java.nio.file.Path;

/** A worker process: runs the {@link Workload} as worker {@code args[1]} and exits. */
public final class WorkerMain {
  private WorkerMain() {}

  /** Args: DIR WORKER ITERATIONS PAUSE_MICROS. */
  public static void main(String[] args) {
    try (MetricsRegistry r = MetricsRegistry.open(Path.of(args[0]))) {
      Workload.run(r, Integer.parseInt(args[1]), Integer.parseInt(args[2]),
          Long.parseLong(args[3]) * 1000);
    }
  }
}
