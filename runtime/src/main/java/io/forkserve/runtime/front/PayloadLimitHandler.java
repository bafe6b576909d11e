package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * Answers 413 when the declared Content-Length is over the limit, and caps the entity size so a
 * chunked body over the limit fails too (the API handler turns that into 413).
 */
final class PayloadLimitHandler implements HttpHandler {
  private final long maxBytes;
  private final HttpHandler next;

  PayloadLimitHandler(long maxBytes, HttpHandler next) {
    this.maxBytes = maxBytes;
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    if (exchange.getRequestContentLength() > maxBytes) {
      exchange.setPersistent(false);
      Errors.send(exchange, 413, "request body over the limit of " + maxBytes + " bytes");
      return;
    }
    exchange.setMaxEntitySize(maxBytes);
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "PayloadLimitHandler[" + maxBytes + "] -> " + next;
  }
}
