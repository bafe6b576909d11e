package io.forkserve.runtime.front;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.exposition.MetricsResponse;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricSnapshots;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code GET /metrics}: merges every process's metric files and writes them in the negotiated
 * format, gzipped once when the client accepts it (metrics-store's {@link MetricsResponse}).
 */
final class MetricsHandler implements HttpHandler {
  /*
   * Bounds. At most MAX_SCRAPES scrapes are in progress at once, counted from arrival until
   * their response is sent or their connection ends (a client that never reads holds its slot
   * until the idle timeout closes it); one more is answered 503 at once, without reading any
   * file. Files are read and pages rendered on one thread of this handler's own, never on the
   * shared pools. Freshness: a scrape shares a merge only if that merge has not begun reading
   * the files when the scrape arrives, so every answer holds at least what the files held at its
   * request (a value written before the request is never missing from the answer). Scrapes
   * arriving while a merge reads wait for the next one, which the thread starts when this one
   * ends, and share it; `current` is the merge not yet begun. Each page format of one merge is
   * rendered once: memory is bounded by MAX_SCRAPES merges (each with at most one page per
   * format), threads by one.
   */

  static final int MAX_SCRAPES = 8;

  private static final class Rendering {
    final CompletableFuture<MetricSnapshots> snapshots = new CompletableFuture<>();
    private final Map<String, MetricsResponse> pages = new HashMap<>();

    synchronized MetricsResponse page(String accept, String acceptEncoding) {
      String key =
          ExpositionFormat.negotiate(accept) + "/" + Exposition.acceptsGzip(acceptEncoding);
      return pages.computeIfAbsent(
          key, k -> MetricsResponse.render(snapshots.join(), accept, acceptEncoding));
    }
  }

  private final DirectoryScraper scraper;
  private final Runnable beforeScrape;
  private final Semaphore slots = new Semaphore(MAX_SCRAPES);
  private final ExecutorService thread;
  private final Object lock = new Object();
  private Rendering current; // guarded by lock: the merge queued and not yet begun, if any

  MetricsHandler(DirectoryScraper scraper, Runnable beforeScrape) {
    this.scraper = scraper;
    this.beforeScrape = beforeScrape;
    this.thread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            body -> {
              Thread t = new Thread(body, "forkserve-scrape");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    if (!slots.tryAcquire()) {
      Errors.send(
          exchange,
          503,
          "too many scrapes in progress (at most " + MAX_SCRAPES + "), retry later");
      return;
    }
    AtomicBoolean held = new AtomicBoolean(true);
    exchange.addExchangeCompleteListener(
        (ex, next) -> {
          if (held.getAndSet(false)) {
            slots.release();
          }
          next.proceed();
        });
    Rendering rendering = join();
    exchange.dispatch(
        SameThreadExecutor.INSTANCE,
        () -> rendering.snapshots.whenCompleteAsync(
            (snapshots, e) -> respond(exchange, rendering, e), thread));
  }

  /** The merge not yet begun, or a new one queued on this handler's thread. */
  private Rendering join() {
    Rendering rendering;
    synchronized (lock) {
      if (current != null) {
        return current;
      }
      rendering = new Rendering();
      current = rendering;
    }
    thread.execute(() -> merge(rendering));
    return rendering;
  }

  private void merge(Rendering rendering) {
    synchronized (lock) { // from here on, a new scrape waits for the next merge
      if (current == rendering) {
        current = null;
      }
    }
    MetricSnapshots snapshots = null;
    Throwable failure = null;
    try {
      synchronized (scraper) {
        beforeScrape.run();
        snapshots = scraper.scrape();
      }
    } catch (RuntimeException | Error e) {
      // An Error too: left uncaught, it would leave this merge unfinished, and every scrape that
      // joined it would wait forever.
      failure = e;
    }
    if (failure == null) {
      rendering.snapshots.complete(snapshots);
    } else {
      rendering.snapshots.completeExceptionally(failure);
    }
  }

  private static void respond(HttpServerExchange exchange, Rendering rendering, Throwable failed) {
    try {
      if (failed != null) {
        throw failed instanceof RuntimeException
            ? (RuntimeException) failed
            : new IllegalStateException(failed);
      }
      MetricsResponse response =
          rendering.page(
              exchange.getRequestHeaders().getFirst(Headers.ACCEPT),
              exchange.getRequestHeaders().getFirst(Headers.ACCEPT_ENCODING));
      exchange.setStatusCode(200);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, response.contentType());
      if (response.gzipped()) {
        exchange.getResponseHeaders().put(Headers.CONTENT_ENCODING, response.contentEncoding());
      }
      exchange.getResponseHeaders().put(Headers.VARY, "Accept, Accept-Encoding");
      exchange.getResponseSender().send(response.bodyBuffers());
    } catch (RuntimeException e) {
      Errors.send(exchange, 500, "metrics scrape failed: " + e);
    }
  }

  /** Scrapes holding a slot now. Test seam. */
  int waitingScrapes() {
    return MAX_SCRAPES - slots.availablePermits();
  }

  @Override
  public String toString() {
    return "MetricsHandler";
  }
}
