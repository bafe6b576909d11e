package io.forkserve.runtime.front;

import io.forkserve.metrics.exposition.MetricsResponse;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricSnapshots;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * {@code GET /metrics}: merges every process's metric files and writes them in the negotiated
 * format, gzipped once when the client accepts it (metrics-store's {@link MetricsResponse}).
 * Scraping reads files, so it runs on the blocking pool, one scrape at a time.
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
      MetricsResponse response =
          MetricsResponse.render(
              snapshots,
              exchange.getRequestHeaders().getFirst(Headers.ACCEPT),
              exchange.getRequestHeaders().getFirst(Headers.ACCEPT_ENCODING));
      exchange.setStatusCode(200);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, response.contentType());
      if (response.gzipped()) {
        exchange.getResponseHeaders().put(Headers.CONTENT_ENCODING, response.contentEncoding());
      }
      exchange.getResponseHeaders().put(Headers.VARY, "Accept, Accept-Encoding");
      exchange.getResponseSender().send(response.bodyBuffer());
    } catch (RuntimeException e) {
      Errors.send(exchange, 500, "metrics scrape failed: " + e);
    }
  }

  @Override
  public String toString() {
    return "MetricsHandler";
  }
}
