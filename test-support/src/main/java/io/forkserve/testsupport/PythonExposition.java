package io.forkserve.testsupport;

import java.nio.file.Path;

/**
 * Python's own exposition of a multiprocess directory: Debian's python3-prometheus-client
 * MultiProcessCollector + generate_latest (text format 0.0.4), run as a subprocess. Call {@code
 * Tools.require("python3-prometheus-client")} first.
 */
public final class PythonExposition {
  private static final String SCRIPT =
      String.join(
          "\n",
          "import sys",
          "from prometheus_client import CollectorRegistry, generate_latest",
          "from prometheus_client.multiprocess import MultiProcessCollector",
          "r = CollectorRegistry()",
          "MultiProcessCollector(r, path=sys.argv[1])",
          "sys.stdout.buffer.write(generate_latest(r))",
          "");

  private PythonExposition() {}

  /** Python's exposition of {@code dir}, as text. */
  public static String scrape(Path dir) throws Exception {
    return Processes.run(new byte[0], Tools.PYTHON, "-c", SCRIPT, dir.toString());
  }
}
