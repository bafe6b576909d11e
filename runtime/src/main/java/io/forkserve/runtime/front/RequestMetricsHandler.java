package io.forkserve.runtime.front;

import io.forkserve.runtime.internal.Clock;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Outermost handler: counts requests in flight and observes each request's duration by route,
 * method and status when it completes (the built-in latency middleware), with the request's
 * valid W3C {@code traceparent}, if any, as the exemplar (see {@link TraceParent}).
 */
final class RequestMetricsHandler implements HttpHandler {
  private final HttpHandler next;
  private final FrontMetrics metrics;
  private final Clock clock;
  private final AtomicInteger inFlight = new AtomicInteger();

  RequestMetricsHandler(HttpHandler next, FrontMetrics metrics, Clock clock) {
    this.next = next;
    this.metrics = metrics;
    this.clock = clock;
  }

  int inFlight() {
    return inFlight.get();
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    long start = clock.nanoTime();
    inFlight.incrementAndGet();
    TraceParent trace = TraceParent.attach(exchange);
    exchange.addExchangeCompleteListener(new Done(start, trace));
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "RequestMetricsHandler -> " + next;
  }

  private final class Done implements ExchangeCompletionListener {
    private final long start;
    private final TraceParent trace;

    Done(long start, TraceParent trace) {
      this.start = start;
      this.trace = trace;
    }

    @Override
    public void exchangeEvent(HttpServerExchange exchange, NextListener nextListener) {
      try {
        inFlight.decrementAndGet();
        if (metrics != null) {
          String route = exchange.getAttachment(Routes.ROUTE);
          metrics.observeRequest(
              route == null ? Routes.UNMATCHED : route,
              exchange.getRequestMethod().toString(),
              exchange.getStatusCode(),
              (clock.nanoTime() - start) / 1e9,
              trace == null ? null : trace.exemplar());
        }
      } finally {
        nextListener.proceed();
      }
    }
  }
}
