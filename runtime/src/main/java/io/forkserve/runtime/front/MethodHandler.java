package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.util.List;
import java.util.stream.Collectors;

/** Lets the given HTTP methods through; answers 405 with Allow and a JSON error otherwise. */
final class MethodHandler implements HttpHandler {
  private final List<HttpString> methods;
  private final String allow;
  private final HttpHandler next;

  MethodHandler(HttpString method, HttpHandler next) {
    this(List.of(method), next);
  }

  MethodHandler(List<HttpString> methods, HttpHandler next) {
    this.methods = List.copyOf(methods);
    this.allow = methods.stream().map(HttpString::toString).collect(Collectors.joining(", "));
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    if (!methods.contains(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().put(Headers.ALLOW, allow);
      Errors.send(exchange, 405, "use " + allow + " for " + exchange.getRelativePath());
      return;
    }
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "MethodHandler" + methods + " -> " + next;
  }
}
