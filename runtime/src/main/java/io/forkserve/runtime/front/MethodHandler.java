package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

/** Lets one HTTP method through; answers 405 with Allow otherwise. */
final class MethodHandler implements HttpHandler {
  private final HttpString method;
  private final HttpHandler next;

  MethodHandler(HttpString method, HttpHandler next) {
    this.method = method;
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    if (!method.equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().put(Headers.ALLOW, method.toString());
      Errors.send(exchange, 405, "use " + method + " for " + exchange.getRelativePath());
      return;
    }
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "MethodHandler[" + method + "] -> " + next;
  }
}
