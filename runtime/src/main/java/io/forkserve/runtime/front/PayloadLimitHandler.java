package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * Answers 413 at once when the declared Content-Length is over the limit. (A chunked body has none;
 * the API handler's receiver stops at the same limit and answers 413 too.)
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
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "PayloadLimitHandler[" + maxBytes + "] -> " + next;
  }
}
