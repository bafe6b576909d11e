package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Deque;

/**
 * {@code POST /admin/workers?count=N[&api=NAME]} and {@code POST /admin/reload[?api=NAME]}: only
 * from a loopback address (else 403) and with {@code Authorization: Bearer <token>} (else 401).
 * {@code api} names one API of the config; scaling needs it when the server runs several.
 */
final class AdminHandler implements HttpHandler {
  static final String WORKERS = "/admin/workers";
  static final String RELOAD = "/admin/reload";
  static final int MAX_WORKERS = 1024;

  private final byte[] token;
  private final AdminActions actions;

  AdminHandler(String token, AdminActions actions) {
    this.token = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    this.actions = actions;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    InetSocketAddress source = exchange.getSourceAddress();
    if (source == null || !source.getAddress().isLoopbackAddress()) {
      Errors.send(exchange, 403, "the admin endpoint answers only on localhost");
    } else if (!authorized(exchange)) {
      exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
      Errors.send(exchange, 401, "missing or wrong admin token (Authorization: Bearer ...)");
    } else if (!exchange.getRequestMethod().equals(Methods.POST)) {
      exchange.getResponseHeaders().put(Headers.ALLOW, "POST");
      Errors.send(exchange, 405, "use POST");
    } else {
      try {
        act(exchange);
      } catch (IllegalStateException e) {
        Errors.send(exchange, 409, e.getMessage());
      } catch (IllegalArgumentException e) {
        Errors.send(exchange, 400, e.getMessage());
      }
    }
  }

  private void act(HttpServerExchange exchange) {
    if (exchange.getRelativePath().equals(RELOAD)) {
      actions.reload(param(exchange, "api"));
      accepted(exchange, "{\"reload\":\"started\"}");
    } else {
      scale(exchange);
    }
  }

  private boolean authorized(HttpServerExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
    return header != null && MessageDigest.isEqual(token, header.getBytes(StandardCharsets.UTF_8));
  }

  private void scale(HttpServerExchange exchange) {
    String count = param(exchange, "count");
    int n;
    try {
      n = Integer.parseInt(count == null ? "" : count);
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1 || n > MAX_WORKERS) {
      Errors.send(exchange, 400, "count must be a whole number from 1 to " + MAX_WORKERS);
      return;
    }
    actions.scaleTo(param(exchange, "api"), n);
    accepted(exchange, "{\"workers\":" + n + "}");
  }

  private static String param(HttpServerExchange exchange, String name) {
    Deque<String> values = exchange.getQueryParameters().get(name);
    return values == null || values.isEmpty() ? null : values.getFirst();
  }

  private static void accepted(HttpServerExchange exchange, String body) {
    ExchangeResponder.send(exchange, 202, body.getBytes(StandardCharsets.UTF_8), false);
  }

  @Override
  public String toString() {
    return "AdminHandler";
  }
}
