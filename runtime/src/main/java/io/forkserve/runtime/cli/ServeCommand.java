package io.forkserve.runtime.cli;

import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.runtime.front.FrontHandlers;
import io.forkserve.runtime.front.FrontServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code serve DIR --port N}: a scrape endpoint for any prometheus_client directory. It only
 * reads: it never folds, wipes or deletes a file there. The HTTP side is the server front's own
 * {@code /metrics} handler, started by the same {@link FrontServer}.
 */
final class ServeCommand {
  private ServeCommand() {}

  static int run(Args args, PrintStream out) throws CliException {
    Path dir = args.directory();
    String host = args.option("--host", "127.0.0.1");
    int port = port(args.option("--port", "9464"));
    // Read only: the archive is merged when a forkserve server keeps one here, never written.
    MetricsArchive archive = MetricsArchive.openReadOnly(dir);
    DirectoryScraper scraper = new DirectoryScraper(dir, List.of(archive.newMergeSource()));
    FrontServer.quietLibraries();
    try {
      FrontServer.start(host, port, FrontHandlers.metricsOnly(scraper));
    } catch (IllegalArgumentException e) {
      scraper.close();
      archive.close();
      throw new CliException(MetricsCli.CANNOT_SERVE, e.getMessage());
    }
    // serves until the JVM exits; then the scraper (after a scrape in progress) and the archive
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      scraper.close();
      archive.close();
    }, "forkserve-metrics-close"));
    out.printf("serving %s at http://%s:%d/metrics%n", dir, host, port);
    out.flush();
    return MetricsCli.OK;
  }

  private static int port(String value) throws CliException {
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new CliException(MetricsCli.USAGE, "--port must be a number from 0 to 65535, not '"
        + value + "'");
  }
}
