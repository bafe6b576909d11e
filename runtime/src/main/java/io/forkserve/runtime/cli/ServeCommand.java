package io.forkserve.runtime.cli;

import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.exposition.MetricsResponse;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricSnapshots;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code serve DIR --port N}: a scrape endpoint for any prometheus_client directory. It only
 * reads: it never folds, wipes or deletes a file there.
 */
final class ServeCommand {
  /** Held so that the levels set on them are not lost to garbage collection. */
  private static final List<Logger> QUIET = List.of(Logger.getLogger("org.xnio"),
      Logger.getLogger("io.undertow"), Logger.getLogger("org.jboss"));

  private ServeCommand() {}

  static int run(Args args, PrintStream out) throws CliException {
    Path dir = args.directory();
    String host = args.option("--host", "127.0.0.1");
    int port = port(args.option("--port", "9464"));
    // Read only: the archive is merged when a forkserve server keeps one here, never written.
    MetricsArchive archive = MetricsArchive.openReadOnly(dir);
    DirectoryScraper scraper = new DirectoryScraper(dir, List.of(archive.newMergeSource()));
    QUIET.forEach(logger -> logger.setLevel(Level.WARNING));
    Undertow server = Undertow.builder()
        .addHttpListener(port, host)
        .setHandler(exchange -> handle(exchange, scraper))
        .build();
    try {
      server.start();
    } catch (RuntimeException e) {
      if (e.getCause() instanceof BindException) {
        throw new CliException(MetricsCli.CANNOT_SERVE,
            host + ":" + port + ": " + e.getCause().getMessage() + " (is the port in use?)");
      }
      throw new CliException(MetricsCli.CANNOT_SERVE, host + ":" + port + ": " + e);
    }
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

  private static void handle(HttpServerExchange exchange, DirectoryScraper scraper) {
    if (!exchange.getRequestPath().equals("/metrics")) {
      error(exchange, 404, "not found: only GET /metrics is served");
      return;
    }
    if (!exchange.getRequestMethod().equals(Methods.GET)) {
      error(exchange, 405, "method not allowed: use GET");
      return;
    }
    if (exchange.isInIoThread()) {
      exchange.dispatch(() -> handle(exchange, scraper));
      return;
    }
    MetricSnapshots snapshots;
    synchronized (scraper) {
      snapshots = scraper.scrape();
    }
    MetricsResponse response = MetricsResponse.render(snapshots,
        exchange.getRequestHeaders().getFirst(Headers.ACCEPT),
        exchange.getRequestHeaders().getFirst(Headers.ACCEPT_ENCODING));
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, response.contentType());
    if (response.gzipped()) {
      exchange.getResponseHeaders().put(Headers.CONTENT_ENCODING, response.contentEncoding());
    }
    exchange.getResponseSender().send(response.bodyBuffer());
  }

  private static void error(HttpServerExchange exchange, int status, String message) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseSender().send("{\"error\":\"" + message + "\"}");
  }
}
