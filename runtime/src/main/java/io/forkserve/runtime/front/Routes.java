package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import java.util.LinkedHashMap;
import java.util.Map;

/** Routes by exact path and records the matched route for the request metrics. */
final class Routes implements HttpHandler {
  static final AttachmentKey<String> ROUTE = AttachmentKey.create(String.class);
  static final String UNMATCHED = "unmatched";

  private final Map<String, HttpHandler> routes;

  Routes(Map<String, HttpHandler> routes) {
    this.routes = new LinkedHashMap<>(routes);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    HttpHandler next = routes.get(exchange.getRelativePath());
    if (next == null) {
      exchange.putAttachment(ROUTE, UNMATCHED);
      Errors.send(exchange, 404, "no route for " + exchange.getRelativePath());
      return;
    }
    exchange.putAttachment(ROUTE, exchange.getRelativePath());
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "Routes" + routes.keySet();
  }
}
