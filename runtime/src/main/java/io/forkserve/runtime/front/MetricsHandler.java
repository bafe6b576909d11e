package io.forkserve.runtime.front;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricSnapshots;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.zip.GZIPOutputStream;

/**
 * {@code GET /metrics}: merges every process's metric files and writes them in the negotiated
 * format, gzipped once when the client accepts it. Scraping reads files, so it runs on the blocking
 * pool, one scrape at a time.
 */
final class MetricsHandler implements HttpHandler {
  private final DirectoryScraper scraper;
  private final Runnable beforeScrape;
  private final Executor blockingPool;

  MetricsHandler(DirectoryScraper scraper, Runnable beforeScrape, Executor blockingPool) {
    this.scraper = scraper;
    this.beforeScrape = beforeScrape;
    this.blockingPool = blockingPool;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws IOException {
    if (exchange.isInIoThread()) {
      exchange.dispatch(blockingPool, this::serve);
      return;
    }
    serve(exchange);
  }

  private void serve(HttpServerExchange exchange) {
    try {
      MetricSnapshots snapshots;
      synchronized (scraper) {
        beforeScrape.run();
        snapshots = scraper.scrape();
      }
      ExpositionFormat format =
          ExpositionFormat.negotiate(exchange.getRequestHeaders().getFirst(Headers.ACCEPT));
      boolean gzip =
          Exposition.acceptsGzip(exchange.getRequestHeaders().getFirst(Headers.ACCEPT_ENCODING));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * 1024);
      try (OutputStream out = gzip ? new GZIPOutputStream(bytes) : bytes) {
        Exposition.write(snapshots, format, out);
      }
      exchange.setStatusCode(200);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, format.contentType());
      if (gzip) {
        exchange.getResponseHeaders().put(Headers.CONTENT_ENCODING, "gzip");
      }
      exchange.getResponseHeaders().put(Headers.VARY, "Accept, Accept-Encoding");
      exchange.getResponseSender().send(ByteBuffer.wrap(bytes.toByteArray()));
    } catch (IOException | RuntimeException e) {
      Errors.send(exchange, 500, "metrics scrape failed: " + e);
    }
  }

  @Override
  public String toString() {
    return "MetricsHandler";
  }
}
