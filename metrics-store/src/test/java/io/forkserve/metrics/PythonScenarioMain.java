package io.forkserve.metrics;

import io.forkserve.metrics.file.FormatVersion;
import java.nio.file.Path;

/** A writer process for {@link PythonReadsUsIT}: {@code DIR INDEX}, format v1, its own pid. */
final class PythonScenarioMain {
  private PythonScenarioMain() {}

  public static void main(String[] args) {
    try (MetricsRegistry registry =
        MetricsRegistry.builder(Path.of(args[0])).formatVersion(FormatVersion.V1).open()) {
      PythonScenario.run(registry, Integer.parseInt(args[1]));
    }
  }
}
