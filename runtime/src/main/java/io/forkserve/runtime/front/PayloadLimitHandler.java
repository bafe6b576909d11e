package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * The front's one body limit ({@code --max-payload}), in front of every route: a declared
 * Content-Length over it is answered 413 at once, without reading the body. A body without one
 * (chunked) is read by the API handler's receiver, which stops at the same limit and answers the
 * same 413; Undertow's entity limit for the exchange, {@link #UNREAD_SLACK} higher so that the
 * receiver always sees the excess first (Undertow drops the connection without an answer when its
 * own limit is hit), only stops bodies that no handler reads. Either way the connection closes
 * afterwards, so an unread rest of the body is never drained.
 */
final class PayloadLimitHandler implements HttpHandler {
  static final long UNREAD_SLACK = 1 << 20;

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
    exchange.setMaxEntitySize(maxBytes + UNREAD_SLACK);
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "PayloadLimitHandler[" + maxBytes + "] -> " + next;
  }
}
