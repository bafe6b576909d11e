package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * The front's one body limit ({@code --max-payload}), in front of every route: a declared
 * Content-Length over it is answered 413 at once, without reading the body; a body without one
 * (chunked) is cut at the same limit as it is read (Undertow's entity limit for this exchange),
 * which the API handler's receiver answers with the same 413. Either way the connection closes
 * afterwards, so an unread rest of the body is never drained.
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
